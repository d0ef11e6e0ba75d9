package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"maragu.dev/goqite"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Defer puts m's job back, visible after delay, without counting an attempt:
// the delivery service defers a job it did not attempt (its hook is at its
// in-flight limit, or its circuit is open). The job is re-sent with Attempt =
// m.Attempt - 1, the attempts made so far, so its next receive is attempt
// m.Attempt again; it never moves to the dead-letter queue here. A stale
// receipt gives an error wrapping webhook.ErrNotFound, as in Retry.
func (d *DB) Defer(ctx context.Context, m webhook.Message, delay time.Duration) error {
	j := m.Job
	j.Attempt = max(m.Attempt-1, 0)
	body, err := webhook.EncodeJob(j)
	if err != nil {
		return fmt.Errorf("defer job %s: %w", m.Job.DeliveryID, err)
	}
	err = d.held(ctx, m.Receipt, func(tx *sql.Tx) error {
		return d.queue.SendTx(ctx, tx, goqite.Message{Body: body, Delay: max(delay, 0)})
	})
	if err != nil {
		return fmt.Errorf("defer job %s: %w", m.Job.DeliveryID, err)
	}
	return nil
}
