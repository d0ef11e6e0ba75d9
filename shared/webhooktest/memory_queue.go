package webhooktest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// MemoryQueue is a delivery queue in memory with SQS's semantics: a received
// message stays invisible for the visibility timeout, Message.Attempt counts
// receives, and a message received maxAttempts times goes to the dead-letter queue
// instead of being delivered again. Unlike SQS it dead-letters eagerly, when Retry
// is called on the last attempt, and its delays are exact rather than whole
// seconds.
type MemoryQueue struct {
	maxAttempts int
	visibility  time.Duration

	mu     sync.Mutex
	nextID int
	live   []*memMessage
	dead   []*memMessage
}

var _ Queue = (*MemoryQueue)(nil)

type memMessage struct {
	id        int
	job       webhook.Job
	receives  int
	deferrals int // receives given back by Defer: not attempts
	visibleAt time.Time
}

// attempts is how many receives were attempts.
func (m *memMessage) attempts() int { return m.receives - m.deferrals }

// receipt names one receive of m; a later receive makes it stale, as in SQS.
func (m *memMessage) receipt() string { return fmt.Sprintf("mem-%d-%d", m.id, m.receives) }

// maxBatch is SQS's limit on messages per receive, kept so callers tested against
// the fake do not ask for more than SQS gives.
const maxBatch = 10

// pollInterval is how often a waiting Receive looks for visible messages.
const pollInterval = 10 * time.Millisecond

// NewMemoryQueue returns an empty queue whose messages are dead-lettered after
// maxAttempts receives (values below 1 mean 1) and stay hidden for visibility after
// each receive.
func NewMemoryQueue(maxAttempts int, visibility time.Duration) *MemoryQueue {
	return &MemoryQueue{maxAttempts: max(maxAttempts, 1), visibility: visibility}
}

// Send enqueues the jobs, visible at once.
func (q *MemoryQueue) Send(_ context.Context, jobs []webhook.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range jobs {
		q.push(j)
	}
	return nil
}

func (q *MemoryQueue) push(j webhook.Job) {
	q.nextID++
	j.Payload = slices.Clone(j.Payload)
	q.live = append(q.live, &memMessage{id: q.nextID, job: j})
}

// Receive returns up to n (1-10) visible messages, waiting up to wait for one.
func (q *MemoryQueue) Receive(ctx context.Context, n int, wait time.Duration) ([]webhook.Message, error) {
	n = min(maxBatch, max(n, 1))
	deadline := time.Now().Add(wait)
	for {
		if msgs := q.take(n); len(msgs) > 0 {
			return msgs, nil
		}
		if !time.Now().Before(deadline) {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("receive: %w", ctx.Err())
		case <-time.After(min(pollInterval, time.Until(deadline))):
		}
	}
}

func (q *MemoryQueue) take(n int) []webhook.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var out []webhook.Message
	for i := 0; i < len(q.live) && len(out) < n; i++ {
		m := q.live[i]
		if now.Before(m.visibleAt) {
			continue
		}
		if m.attempts() >= q.maxAttempts { // expired without Retry on its last attempt
			q.kill(i)
			i--
			continue
		}
		m.receives++
		m.visibleAt = now.Add(q.visibility)
		j := m.job
		j.Payload = slices.Clone(j.Payload)
		out = append(out, webhook.Message{Job: j, Receipt: m.receipt(), Attempt: m.attempts()})
	}
	return out
}

// kill moves live[i] to the dead-letter queue; the caller holds q.mu.
func (q *MemoryQueue) kill(i int) {
	q.dead = append(q.dead, q.live[i])
	q.live = slices.Delete(q.live, i, i+1)
}

// find returns the index of the live message m's receipt names; the caller holds
// q.mu.
func (q *MemoryQueue) find(receipt string) (int, error) {
	id, _, ok := strings.Cut(strings.TrimPrefix(receipt, "mem-"), "-")
	n, err := strconv.Atoi(id)
	if !ok || err != nil {
		return 0, fmt.Errorf("receipt %q: %w", receipt, webhook.ErrNotFound)
	}
	for i, m := range q.live {
		if m.id == n && m.receipt() == receipt {
			return i, nil
		}
	}
	return 0, fmt.Errorf("receipt %q is stale or unknown: %w", receipt, webhook.ErrNotFound)
}

// Ack deletes the message. A receipt that is stale (the message was received again
// since) or unknown gives an error wrapping webhook.ErrNotFound.
func (q *MemoryQueue) Ack(_ context.Context, m webhook.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(m.Receipt)
	if err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	q.live = slices.Delete(q.live, i, i+1)
	return nil
}

// Retry hides the message for delay (negative: 0), or dead-letters it if it has
// been received maxAttempts times.
func (q *MemoryQueue) Retry(_ context.Context, m webhook.Message, delay time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(m.Receipt)
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if q.live[i].attempts() >= q.maxAttempts {
		q.kill(i)
		return nil
	}
	q.live[i].visibleAt = time.Now().Add(max(delay, 0))
	return nil
}

// ListDead returns the dead-lettered jobs matching f, oldest first.
func (q *MemoryQueue) ListDead(_ context.Context, f webhook.DeadFilter, limit int) ([]webhook.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []webhook.Job
	for _, m := range q.dead {
		if limit > 0 && len(out) >= limit {
			break
		}
		if f.Match(m.job) {
			j := m.job
			j.Payload = slices.Clone(j.Payload)
			out = append(out, j)
		}
	}
	return out, nil
}

// Redrive moves the matching dead jobs back to the queue with Attempt 0, so that
// their next receive is attempt 1.
func (q *MemoryQueue) Redrive(ctx context.Context, f webhook.DeadFilter, progress func(moved int)) (int, error) {
	moved := 0
	for {
		if err := ctx.Err(); err != nil {
			return moved, fmt.Errorf("redrive: %w", err)
		}
		if !q.redriveOne(f) {
			return moved, nil
		}
		moved++
		if progress != nil {
			progress(moved)
		}
	}
}

func (q *MemoryQueue) redriveOne(f webhook.DeadFilter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, m := range q.dead {
		if f.Match(m.job) {
			q.dead = slices.Delete(q.dead, i, i+1)
			j := m.job
			j.Attempt = 0
			q.push(j)
			return true
		}
	}
	return false
}

// Defer hides the message for delay and takes back the receive that handed it
// out, so the next receive has the same Attempt.
func (q *MemoryQueue) Defer(_ context.Context, m webhook.Message, delay time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(m.Receipt)
	if err != nil {
		return fmt.Errorf("defer: %w", err)
	}
	q.live[i].deferrals++
	q.live[i].visibleAt = time.Now().Add(max(delay, 0))
	return nil
}

// DeadLetter moves the message to the dead-letter queue.
func (q *MemoryQueue) DeadLetter(_ context.Context, m webhook.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(m.Receipt)
	if err != nil {
		return fmt.Errorf("dead-letter: %w", err)
	}
	q.kill(i)
	return nil
}
