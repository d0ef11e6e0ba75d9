package hookcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

type counting struct {
	*webhooktest.MemoryHookStore
	lists, gets int
}

func (c *counting) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	c.lists++
	return c.MemoryHookStore.ListHooks(ctx)
}

func (c *counting) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	c.gets++
	return c.MemoryHookStore.GetHook(ctx, id)
}

func TestCacheExpires(t *testing.T) {
	ctx := context.Background()
	store := &counting{MemoryHookStore: webhooktest.NewMemoryHookStore()}
	_ = store.PutHook(ctx, webhook.Hook{ID: "h1", Enabled: true})
	clock := time.Unix(0, 0)
	c := hookcache.New(store, 10*time.Second)
	c.SetClock(func() time.Time { return clock })

	for range 3 {
		if _, err := c.List(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, "gone"); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("Get(gone) = %v, want ErrNotFound", err)
		}
	}
	if store.lists != 1 || store.gets != 2 {
		t.Fatalf("within TTL: %d lists, %d gets; want 1 and 2", store.lists, store.gets)
	}
	_ = store.SetEnabled(ctx, "h1", false, "")
	clock = clock.Add(10 * time.Second)
	h, _ := c.Get(ctx, "h1")
	hooks, _ := c.List(ctx)
	if h.Enabled || hooks[0].Enabled || store.lists != 2 || store.gets != 3 {
		t.Fatalf("after TTL: hook enabled=%v, list enabled=%v, %d lists, %d gets; want fresh reads", h.Enabled, hooks[0].Enabled, store.lists, store.gets)
	}
	c.Forget("h1")
	if _, _ = c.Get(ctx, "h1"); store.gets != 4 {
		t.Errorf("Forget did not force a read (%d gets)", store.gets)
	}
}
