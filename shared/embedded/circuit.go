package embedded

import (
	"context"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SetCircuit sets CircuitOpenUntil and CircuitReason ("" when closing) and
// increments Version, nothing else, reading and writing in one transaction
// under SQLite's write lock like SetEnabled. Writing the same state again costs
// no write.
func (d *DB) SetCircuit(ctx context.Context, id string, openUntil int64, reason string) error {
	if openUntil < 0 {
		return fmt.Errorf("set hook %s circuit until %d: negative time", id, openUntil)
	}
	if openUntil == 0 {
		reason = ""
	}
	err := d.updateHook(ctx, id, func(h *webhook.Hook) bool {
		if h.CircuitOpenUntil == openUntil && h.CircuitReason == reason {
			return false
		}
		h.CircuitOpenUntil, h.CircuitReason = openUntil, reason
		return true
	})
	if err != nil {
		return fmt.Errorf("set hook %s circuit: %w", id, err)
	}
	return nil
}
