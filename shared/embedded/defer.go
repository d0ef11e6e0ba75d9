package embedded

import (
	"context"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Defer puts m's job back, visible after delay, without counting an attempt:
// the delivery service defers a job it did not attempt (its hook is at its
// in-flight limit, or its circuit is open). The job is re-sent with Attempt =
// m.Attempt - 1, the attempts made so far, so its next receive is attempt
// m.Attempt again; it never moves to the dead-letter queue here. A stale
// receipt gives an error wrapping webhook.ErrNotFound, as in Retry.
func (d *DB) Defer(ctx context.Context, m webhook.Message, delay time.Duration) error {
	return d.resend(ctx, "defer", m, max(m.Attempt-1, 0), d.queue, delay)
}
