package hookcache

import (
	"context"
	"sync/atomic"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Watched is a HookStore that counts the writes made through it. A Cache over
// it (directly or through another wrapper that keeps Changes) treats what it
// read before the latest write as stale, so in one process, such as
// `webhooks dev` whose management API shares the store with ingest and
// delivery, a change applies to the very next event instead of after the TTL.
// Writes by other processes (the CLI) still wait for the TTL.
type Watched struct {
	webhook.HookStore
	n atomic.Uint64
}

// Watch returns s counting its writes.
func Watch(s webhook.HookStore) *Watched { return &Watched{HookStore: s} }

// Changes returns the number of writes so far; Cache compares it.
func (w *Watched) Changes() uint64 { return w.n.Load() }

// changed counts a write. It is counted even when the write failed, which
// costs one needless re-read, because a failed write may still have landed.
func (w *Watched) changed(err error) error {
	w.n.Add(1)
	return err
}

// PutHook writes through and counts the write.
func (w *Watched) PutHook(ctx context.Context, h webhook.Hook) error {
	return w.changed(w.HookStore.PutHook(ctx, h))
}

// DeleteHook deletes through and counts the write.
func (w *Watched) DeleteHook(ctx context.Context, id string) error {
	return w.changed(w.HookStore.DeleteHook(ctx, id))
}

// SetEnabled writes through and counts the write.
func (w *Watched) SetEnabled(ctx context.Context, id string, enabled bool, reason string) error {
	return w.changed(w.HookStore.SetEnabled(ctx, id, enabled, reason))
}

// SetFailingSince writes through and counts the write.
func (w *Watched) SetFailingSince(ctx context.Context, id string, since int64) error {
	return w.changed(w.HookStore.SetFailingSince(ctx, id, since))
}
