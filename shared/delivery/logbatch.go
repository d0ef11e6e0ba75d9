package delivery

import (
	"context"
	"sync"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// logBatch collects the delivery-log entries of one handler batch, so that a
// webhook.BatchRecorder stores them together: the DynamoDB log then writes one
// item per hook per batch instead of one per attempt.
type logBatch struct {
	mu      sync.Mutex
	entries []webhook.LogEntry
}

type logBatchKey struct{}

// withLogBatch makes the Service's attempts under ctx add their entries to b
// instead of recording them one by one.
func withLogBatch(ctx context.Context, b *logBatch) context.Context {
	return context.WithValue(ctx, logBatchKey{}, b)
}

// collect adds e to ctx's batch, reporting false when ctx has none.
func collect(ctx context.Context, e webhook.LogEntry) bool {
	b, ok := ctx.Value(logBatchKey{}).(*logBatch)
	if !ok {
		return false
	}
	b.mu.Lock()
	b.entries = append(b.entries, e)
	b.mu.Unlock()
	return true
}

// batchLog starts a batch when the service's log takes batches (nil otherwise).
func (s *Service) batchLog() *logBatch {
	if _, ok := s.cfg.Log.(webhook.BatchRecorder); !ok {
		return nil
	}
	return &logBatch{}
}

// flushLog records b's entries. As with one entry, a lost write is reported and
// does not fail the batch's deliveries.
func (s *Service) flushLog(ctx context.Context, b *logBatch) {
	if b == nil || len(b.entries) == 0 {
		return
	}
	if err := s.cfg.Log.(webhook.BatchRecorder).RecordBatch(ctx, b.entries); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "delivery: cannot write delivery log", "entries", len(b.entries), "error", err)
	}
}
