package embedded

import (
	"context"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var _ webhook.HookStore = (*DB)(nil)

// ListHooks returns every hook, newest first (createdAt desc, then id).
func (d *DB) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	hooks, err := hooksTable.list(ctx, d.db)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	return hooks, nil
}

// GetHook returns the hook with id, or an error wrapping webhook.ErrNotFound.
func (d *DB) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	h, err := hooksTable.get(ctx, d.db, id)
	if err != nil {
		return webhook.Hook{}, fmt.Errorf("get hook %s: %w", id, err)
	}
	return h, nil
}

// PutHook creates h, or replaces the stored hook if it still has h.Version,
// storing Version h.Version+1 (docTable.put).
func (d *DB) PutHook(ctx context.Context, h webhook.Hook) error {
	if err := hooksTable.put(ctx, d, h); err != nil {
		return fmt.Errorf("put hook %s: %w", h.ID, err)
	}
	return nil
}

// DeleteHook removes the hook, or returns an error wrapping webhook.ErrNotFound.
func (d *DB) DeleteHook(ctx context.Context, id string) error {
	if err := hooksTable.delete(ctx, d, id); err != nil {
		return fmt.Errorf("delete hook %s: %w", id, err)
	}
	return nil
}

// SetEnabled sets Enabled and DisabledReason and nothing else. The read and
// the write share one immediate transaction, which holds SQLite's write lock,
// so no other writer's change to the hook can be lost in between.
func (d *DB) SetEnabled(ctx context.Context, id string, enabled bool, reason string) error {
	if enabled {
		reason = ""
	}
	err := d.updateHook(ctx, id, func(h *webhook.Hook) bool {
		h.Enabled, h.DisabledReason = enabled, reason
		return true
	})
	if err != nil {
		return fmt.Errorf("set hook %s enabled=%t: %w", id, enabled, err)
	}
	return nil
}

// SetFailingSince sets FailingSince if the hook has none (since > 0) or clears
// it (since == 0), and nothing else. Like SetEnabled, the read and the write
// share one transaction under SQLite's write lock, so the first failure wins.
func (d *DB) SetFailingSince(ctx context.Context, id string, since int64) error {
	if since < 0 {
		return fmt.Errorf("set hook %s failing since %d: negative time", id, since)
	}
	err := d.updateHook(ctx, id, func(h *webhook.Hook) bool {
		if since == h.FailingSince || since != 0 && h.FailingSince != 0 {
			return false // nothing to change, or already failing: the first failure wins
		}
		h.FailingSince = since
		return true
	})
	if err != nil {
		return fmt.Errorf("set hook %s failing since %d: %w", id, since, err)
	}
	return nil
}

// updateHook applies change to the stored hook and writes it back, with the
// version incremented, if change returns true (docTable.update).
func (d *DB) updateHook(ctx context.Context, id string, change func(*webhook.Hook) bool) error {
	return hooksTable.update(ctx, d, id, change)
}
