package webhooktest_test

import (
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

func TestMemoryHookStore(t *testing.T) {
	webhooktest.TestHookStore(t, func(*testing.T) webhook.HookStore { return webhooktest.NewMemoryHookStore() })
}

func TestMemoryDeliveryLog(t *testing.T) {
	webhooktest.TestDeliveryLog(t, func(*testing.T) webhook.DeliveryLog { return webhooktest.NewMemoryDeliveryLog() })
}

func TestMemoryQueue(t *testing.T) {
	t.Parallel()
	webhooktest.TestQueue(t, func(_ *testing.T, maxAttempts int, visibility time.Duration) webhooktest.Queue {
		return webhooktest.NewMemoryQueue(maxAttempts, visibility)
	})
}

func TestMemorySourceStore(t *testing.T) {
	webhooktest.TestSourceStore(t, func(*testing.T) webhook.SourceStore { return webhooktest.NewMemorySourceStore() })
}
