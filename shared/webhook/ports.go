package webhook

import (
	"context"
	"time"
)

// HookStore keeps hooks. Implementations: DynamoDB (shared/dynamo), SQLite
// (shared/embedded) and memory (shared/webhooktest). All are safe for concurrent use.
//
// Every write is optimistic: Hook.Version counts writes, and a write only lands on
// the version it was based on. There are two kinds of write, and a new one must be
// one of them:
//
//   - PutHook replaces the whole hook read at Version v and stores v+1, or fails
//     with ErrConflict. Callers doing read-modify-write (the management API)
//     re-read and re-apply their change on ErrConflict.
//   - A single-attribute update (SetEnabled, SetFailingSince) changes its
//     attributes and increments Version in one conditional write of the backend,
//     without reading first, so it never conflicts itself but makes every
//     PutHook based on the older version conflict. That is what keeps a PATCH
//     that read enabled=true from re-enabling a hook a 410 just disabled.
type HookStore interface {
	// ListHooks returns every hook, enabled or not, newest first (createdAt desc,
	// as Logto lists them).
	ListHooks(ctx context.Context) ([]Hook, error)
	// GetHook returns the hook with id, or an error wrapping ErrNotFound.
	GetHook(ctx context.Context, id string) (Hook, error)
	// PutHook writes h with Version h.Version+1 if the stored hook still has
	// h.Version, or if there is none (creation; version 0 also matches a
	// hand-written item without a version). Otherwise it changes nothing and
	// returns an error wrapping ErrConflict. A hook deleted since it was read
	// (h.Version > 0, nothing stored) is not recreated: ErrNotFound.
	PutHook(ctx context.Context, h Hook) error
	// DeleteHook removes the hook, or returns an error wrapping ErrNotFound.
	DeleteHook(ctx context.Context, id string) error
	// SetEnabled enables or disables a hook in place (reason is stored as
	// DisabledReason, "" when enabling) and increments Version, in one
	// conditional write. Unknown id: an error wrapping ErrNotFound.
	SetEnabled(ctx context.Context, id string, enabled bool, reason string) error
	// SetFailingSince records when a hook started failing (epoch ms). since > 0
	// sets FailingSince only if the hook has none yet, in one conditional write,
	// so the first failure wins over concurrent deliveries; since == 0 clears it.
	// A write that changes FailingSince increments Version; one that changes
	// nothing (already failing, already clear) writes nothing. No other field
	// changes (UpdatedAt neither: this is not a user's edit).
	// Unknown id: an error wrapping ErrNotFound.
	SetFailingSince(ctx context.Context, id string, since int64) error
	// SetCircuit records the delivery service's circuit breaker for a hook:
	// openUntil (epoch ms) and reason when it opens, 0 and "" when it closes.
	// It is a single-attribute update like SetEnabled: those two fields and
	// Version, in one conditional write. Unknown id: an error wrapping ErrNotFound.
	SetCircuit(ctx context.Context, id string, openUntil int64, reason string) error
}

// SourceStore keeps sources. Implementations: DynamoDB (shared/dynamo), SQLite
// (shared/embedded) and memory (shared/webhooktest). All are safe for
// concurrent use. Writes are optimistic, as HookStore's PutHook: Source.Version
// counts writes and a write lands only on the version it was based on.
type SourceStore interface {
	// ListSources returns every source, newest first (createdAt desc, then id).
	ListSources(ctx context.Context) ([]Source, error)
	// GetSource returns the source with id, or an error wrapping ErrNotFound.
	GetSource(ctx context.Context, id string) (Source, error)
	// PutSource writes s with Version s.Version+1 if the stored source still
	// has s.Version, or if there is none (creation, version 0). Otherwise it
	// changes nothing and returns an error wrapping ErrConflict; a source
	// deleted since it was read (s.Version > 0, nothing stored) is not
	// recreated: ErrNotFound.
	PutSource(ctx context.Context, s Source) error
	// DeleteSource removes the source, or returns an error wrapping ErrNotFound.
	DeleteSource(ctx context.Context, id string) error
}

// Result is the outcome of a delivery attempt as Logto's logs name it.
type Result string

// Logto's two results.
const (
	ResultSuccess Result = "Success"
	ResultError   Result = "Error"
)

// LogEntry is one delivery attempt in the delivery log.
type LogEntry struct {
	HookID     string `json:"hookId"`
	DeliveryID string `json:"deliveryId"`
	EventID    string `json:"eventId"`
	Event      Event  `json:"event"`
	Attempt    int    `json:"attempt"`
	Result     Result `json:"result"`
	// Status is the HTTP status, 0 when no response arrived.
	Status    int    `json:"status,omitempty"`
	LatencyMs int64  `json:"latencyMs"`
	Error     string `json:"error,omitempty"`
	// Request is the body sent (truncated to a cap), Response the body received
	// (truncated). Neither ever holds headers, so no signature or key is logged.
	Request   string `json:"request,omitempty"`
	Response  string `json:"response,omitempty"`
	CreatedAt int64  `json:"createdAt"` // epoch ms
}

// LogQuery selects delivery-log entries of one hook. Since and Until are
// inclusive bounds; a zero Until means now. Limit 0 means no limit.
type LogQuery struct {
	HookID     string
	Since      time.Time
	Until      time.Time
	FailedOnly bool
	Limit      int
}

// Stats are Logto's 24 h execution stats.
type Stats struct {
	RequestCount int `json:"requestCount"`
	SuccessCount int `json:"successCount"`
}

// DeliveryLog records attempts and answers Logto's recent-logs and stats queries.
type DeliveryLog interface {
	// Record stores one attempt; entries expire after the backend's TTL.
	Record(ctx context.Context, e LogEntry) error
	// Query returns matching entries, newest first.
	Query(ctx context.Context, q LogQuery) ([]LogEntry, error)
	// Stats counts the hook's attempts created at or after since.
	Stats(ctx context.Context, hookID string, since time.Time) (Stats, error)
}

// BatchRecorder is a DeliveryLog that stores many attempts at once more cheaply
// than one by one (the DynamoDB log: one item per hook). The delivery Lambda
// hands it each batch's attempts.
type BatchRecorder interface {
	// RecordBatch stores entries as Record would each of them.
	RecordBatch(ctx context.Context, entries []LogEntry) error
}

// Sender puts delivery jobs on the queue.
type Sender interface {
	// Send enqueues every job, batching as the backend allows and retrying
	// entries that fail. If any job still cannot be queued it returns an error;
	// jobs may then have been queued partly, which is safe because delivery ids
	// are deterministic and receivers dedupe.
	Send(ctx context.Context, jobs []Job) error
}

// Message is a received job with what the queue knows of it.
type Message struct {
	Job Job
	// Receipt identifies this receive for Ack and Retry (an SQS receipt handle).
	Receipt string
	// Attempt is the 1-based number of this attempt (SQS ApproximateReceiveCount).
	Attempt int
}

// Retrier is what the delivery service needs from a queue after an attempt.
type Retrier interface {
	// Retry makes the message visible again after delay. Once the message has
	// been received as many times as the queue allows, the queue moves it to its
	// dead-letter queue instead (SQS redrive policy, or the embedded backend's
	// equivalent).
	Retry(ctx context.Context, m Message, delay time.Duration) error
}

// Consumer receives jobs; used by `webhooks dev` workers and tests. The Lambda
// gets its messages from the SQS event source mapping instead.
type Consumer interface {
	Retrier
	// Receive waits up to wait for at most max messages and hides them for the
	// queue's visibility timeout.
	Receive(ctx context.Context, max int, wait time.Duration) ([]Message, error)
	// Ack deletes a delivered (or dropped) message.
	Ack(ctx context.Context, m Message) error
	// Defer puts back a message that was received but not attempted (the
	// delivery service held it back: its hook was at its in-flight limit or its
	// circuit was open), visible after delay, without counting an attempt: the
	// next receive has the same Attempt. It never dead-letters.
	Defer(ctx context.Context, m Message, delay time.Duration) error
	// DeadLetter moves the message to the dead-letter queue at once, with
	// m.Attempt as the attempts made (the job used its attempts, or can never
	// be delivered).
	DeadLetter(ctx context.Context, m Message) error
}

// DeadFilter selects dead-lettered jobs; empty fields match everything.
type DeadFilter struct {
	HookID string
	Event  Event
	// DeliveryID selects one job (the console's "redrive this one").
	DeliveryID string
}

// Match reports whether j passes the filter.
func (f DeadFilter) Match(j Job) bool {
	return (f.HookID == "" || f.HookID == j.HookID) && (f.Event == "" || f.Event == j.Event) &&
		(f.DeliveryID == "" || f.DeliveryID == j.DeliveryID)
}

// DeadLetters reads and redrives the dead-letter queue.
type DeadLetters interface {
	// ListDead returns the dead-lettered jobs matching f (at most limit; 0: all).
	ListDead(ctx context.Context, f DeadFilter, limit int) ([]Job, error)
	// Redrive moves the matching jobs back to the delivery queue with a fresh
	// attempt count, calling progress after each moved job, and returns how many
	// moved. Jobs that do not match stay in the dead-letter queue.
	Redrive(ctx context.Context, f DeadFilter, progress func(moved int)) (int, error)
}
