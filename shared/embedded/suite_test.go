package embedded

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

func TestHookStoreContract(t *testing.T) {
	webhooktest.TestHookStore(t, func(t *testing.T) webhook.HookStore {
		d, _ := openTemp(t, Options{})
		return d
	})
}

func TestDeliveryLogContract(t *testing.T) {
	webhooktest.TestDeliveryLog(t, func(t *testing.T) webhook.DeliveryLog {
		d, _ := openTemp(t, Options{})
		return d
	})
}

func TestQueueContract(t *testing.T) {
	t.Parallel()
	webhooktest.TestQueue(t, func(t *testing.T, maxAttempts int, visibility time.Duration) webhooktest.Queue {
		return reopen(t, filepath.Join(t.TempDir(), "queue.db"), Options{MaxAttempts: maxAttempts, Visibility: visibility})
	})
}

func TestSourceStoreContract(t *testing.T) {
	webhooktest.TestSourceStore(t, func(t *testing.T) webhook.SourceStore {
		d, _ := openTemp(t, Options{})
		return d
	})
}
