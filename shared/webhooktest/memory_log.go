package webhooktest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// MemoryDeliveryLog is a webhook.DeliveryLog in memory. Entries never expire.
// Like the DynamoDB log, an entry with the same hook, time, delivery id and attempt
// as an earlier one replaces it.
type MemoryDeliveryLog struct {
	// Now is the default upper bound of Query; tests may replace it.
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]webhook.LogEntry
}

var _ webhook.DeliveryLog = (*MemoryDeliveryLog)(nil)

// NewMemoryDeliveryLog returns an empty log.
func NewMemoryDeliveryLog() *MemoryDeliveryLog {
	return &MemoryDeliveryLog{Now: time.Now, entries: map[string]webhook.LogEntry{}}
}

// Record stores e.
func (l *MemoryDeliveryLog) Record(_ context.Context, e webhook.LogEntry) error {
	if e.HookID == "" {
		return fmt.Errorf("record delivery: %w", &webhook.FieldError{Record: -1, Field: "hookId", Reason: "is required"})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries[fmt.Sprintf("%s\x00%d\x00%s\x00%d", e.HookID, e.CreatedAt, e.DeliveryID, e.Attempt)] = e
	return nil
}

// Query returns the entries q selects, newest first.
func (l *MemoryDeliveryLog) Query(_ context.Context, q webhook.LogQuery) ([]webhook.LogEntry, error) {
	until := q.Until
	if until.IsZero() {
		until = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []webhook.LogEntry
	for _, e := range l.entries {
		if e.HookID != q.HookID || e.CreatedAt > until.UnixMilli() ||
			(!q.Since.IsZero() && e.CreatedAt < q.Since.UnixMilli()) ||
			(q.FailedOnly && e.Result == webhook.ResultSuccess) {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b webhook.LogEntry) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(b.DeliveryID, a.DeliveryID), cmp.Compare(b.Attempt, a.Attempt))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Stats counts the hook's entries created at or after since.
func (l *MemoryDeliveryLog) Stats(_ context.Context, hookID string, since time.Time) (webhook.Stats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s webhook.Stats
	for _, e := range l.entries {
		if e.HookID != hookID || e.CreatedAt < since.UnixMilli() {
			continue
		}
		s.RequestCount++
		if e.Result == webhook.ResultSuccess {
			s.SuccessCount++
		}
	}
	return s, nil
}
