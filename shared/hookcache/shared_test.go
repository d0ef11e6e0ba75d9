package hookcache

import (
	"context"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// blockingStore holds GetHook until release closes, honouring its context.
type blockingStore struct {
	*webhooktest.MemoryHookStore
	started chan struct{}
	release chan struct{}
}

func (s *blockingStore) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	close(s.started)
	select {
	case <-s.release:
	case <-ctx.Done():
		return webhook.Hook{}, ctx.Err()
	}
	return s.MemoryHookStore.GetHook(ctx, id)
}

// TestSharedReadSurvivesTheFirstCallerLeaving cancels the caller whose Get
// started the store read while a second caller waits on the same read: the
// second must still get the hook.
func TestSharedReadSurvivesTheFirstCallerLeaving(t *testing.T) {
	store := &blockingStore{MemoryHookStore: webhooktest.NewMemoryHookStore(), started: make(chan struct{}), release: make(chan struct{})}
	if err := store.PutHook(t.Context(), webhook.Hook{ID: "h1", URL: "https://example.com/"}); err != nil {
		t.Fatal(err)
	}
	c := New(store, time.Minute)
	first, cancel := context.WithCancel(t.Context())
	go func() { _, _ = c.Get(first, "h1") }()
	<-store.started
	second := make(chan error, 1)
	go func() { _, err := c.Get(t.Context(), "h1"); second <- err }()
	time.Sleep(20 * time.Millisecond) // let the second caller join the read
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(store.release)
	if err := <-second; err != nil {
		t.Errorf("second caller: %v; want the hook, whatever the first caller did", err)
	}
}
