package hookcache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// TestCacheForgetsOldEntries reads many hooks once and checks the cache keeps
// only those read within the TTL: a long-lived delivery process meets every
// hook in time, and must not hold them all.
func TestCacheForgetsOldEntries(t *testing.T) {
	store := webhooktest.NewMemoryHookStore()
	c := New(store, time.Minute)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c.SetClock(func() time.Time { return now })
	for i := range 1000 {
		if _, err := c.Get(context.Background(), fmt.Sprintf("h%d", i)); err == nil {
			t.Fatal("found a hook in an empty store")
		}
	}
	now = now.Add(2 * time.Minute)
	_, _ = c.Get(context.Background(), "later")
	if n := len(c.byID); n != 1 {
		t.Errorf("cache holds %d entries after the TTL; want 1, the one read since", n)
	}
}
