package delivery

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Requeuer is what SQSHandler needs of a queue to defer and dead-letter jobs
// itself (the SQS adapter): a copy of the message goes back to the queue
// (delayed, carrying the attempts made) or to the dead-letter queue, and the
// handler reports the original as done, so the event source mapping deletes
// it. See sqsqueue's note on how attempts are counted.
type Requeuer interface {
	Requeue(ctx context.Context, m webhook.Message, delay time.Duration) error
	SendDead(ctx context.Context, m webhook.Message) error
}

// LaneQueue is a queue SQSHandler settles messages in by itself: it changes
// their visibility (retries) and sends copies (deferrals, dead letters,
// hand-offs). The SQS adapter is one.
type LaneQueue interface {
	webhook.Retrier
	Requeuer
}

// SQSHandler is the delivery Lambda's handler for the SQS event source
// mappings: the delivery queue's (the main lane) and, with WithSlowLane, the
// slow queue's (see lane.go).
type SQSHandler struct {
	svc         *Service
	main, slow  lane
	slowName    string
	floor       time.Duration
	concurrency int
	log         *slog.Logger
	workers     *workerPool
}

// lane is one queue's means of settling its messages.
type lane struct {
	queue  webhook.Retrier
	copies Requeuer // queue, when it can defer and dead-letter by copy; else nil
}

// NewSQSHandler returns a handler delivering each batch with at most concurrency
// POSTs in flight (0: the Service's Config.Concurrency, whose isolation limits
// are sized for it). queue changes the visibility of failed messages (the SQS
// adapter); if it is also a Requeuer, deferred jobs keep their attempts and
// exhausted ones go straight to the dead-letter queue.
func NewSQSHandler(svc *Service, queue webhook.Retrier, concurrency int, log *slog.Logger) *SQSHandler {
	if concurrency <= 0 {
		concurrency = svc.cfg.Concurrency
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rq, _ := queue.(Requeuer)
	return &SQSHandler{svc: svc, main: lane{queue: queue, copies: rq}, floor: DefaultHandOffFloor, concurrency: concurrency, log: log,
		workers: newWorkerPool(concurrency)}
}

// WithSlowLane gives h a slow lane, the SQS queue named name: records from
// it (their EventSourceARN ends in ":"+name) are delivered without cuts and
// settled in queue; main-lane jobs cut or known slow are copied into queue.
// floor is the hand-off floor (0: DefaultHandOffFloor). It returns h.
func (h *SQSHandler) WithSlowLane(queue LaneQueue, name string, floor time.Duration) *SQSHandler {
	h.slow, h.slowName = lane{queue: queue, copies: queue}, name
	if floor > 0 {
		h.floor = floor
	}
	return h
}

// Handle delivers a batch and reports only the failed messages, so SQS deletes
// the delivered ones and redelivers the rest when their new visibility ends; the
// queue's redrive policy moves a message to the DLQ after maxReceiveCount.
// It returns an error only if the whole batch must be retried (never, today).
func (h *SQSHandler) Handle(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	// POSTs stop DeadlineReserve before the function's deadline, so there is
	// always time left to set each failed message's retry delay and answer;
	// a function that times out instead gets its whole batch back, every job
	// one attempt poorer, only after the queue's visibility timeout.
	work, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		work, cancel = context.WithDeadline(ctx, dl.Add(-DeadlineReserve))
	}
	defer cancel()
	if h.concurrency >= len(e.Records) {
		// Every job has a goroutine of its own: one waiting for its hook's
		// slot holds up no other hook's job.
		work = withOwnSlot(work)
	}
	// The batch's log entries are written together once its POSTs are done.
	logs := h.svc.batchLog()
	if logs != nil {
		work = withLogBatch(work, logs)
	}
	var watch *stopwatch
	if h.slow.queue != nil && slices.ContainsFunc(e.Records, h.mainLane) {
		// Main-lane stragglers are cut (lane.go); a slow-lane batch has none.
		watch = newStopwatch(h.floor, h.svc.gate.cfg.SlowAfter)
		defer watch.close()
	}
	var (
		mu       sync.Mutex
		failures []events.SQSBatchItemFailure
		wg       sync.WaitGroup
		sem      = make(chan struct{}, h.concurrency)
		// One EMF line per event for the whole batch, not one per attempt.
		batch = h.svc.Metrics().Batch()
	)
	for _, rec := range e.Records {
		sem <- struct{}{}
		wg.Add(1)
		h.workers.run(func() {
			defer func() { <-sem; wg.Done() }()
			l, w, finish := h.slow, work, func(bool) {}
			if h.mainLane(rec) {
				l = h.main
				if watch != nil {
					w, finish = watch.start(withMainLane(work))
				}
			}
			done, posted := h.deliver(ctx, w, rec, batch, l)
			finish(posted)
			if !done {
				mu.Lock()
				failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	h.svc.flushLog(ctx, logs)
	batch.Flush()
	h.log.InfoContext(ctx, "delivery: batch done", "records", len(e.Records), "failed", len(failures))
	return events.SQSEventResponse{BatchItemFailures: failures}, nil
}

// mainLane reports whether rec came from the delivery queue rather than the
// slow lane's (every record does when h has no slow lane).
func (h *SQSHandler) mainLane(rec events.SQSMessage) bool {
	return h.slow.queue == nil || !strings.HasSuffix(rec.EventSourceARN, ":"+h.slowName)
}

// DeadlineReserve is the time SQSHandler keeps for settling the batch.
const DeadlineReserve = 3 * time.Second

// deliver handles one record from lane l and reports whether SQS may delete
// it, and whether an attempt was made; the attempt runs under work, the
// settling under ctx.
func (h *SQSHandler) deliver(ctx, work context.Context, rec events.SQSMessage, batch *metrics.Batch, l lane) (done, posted bool) {
	job, err := webhook.DecodeJob([]byte(rec.Body))
	m := webhook.Message{Job: job, Receipt: rec.ReceiptHandle, Attempt: webhook.ReceiveAttempt(job, rec.Attributes["ApproximateReceiveCount"])}
	if err != nil {
		// Job.Validate rejects the zero job, so Deliver dead-letters it.
		h.log.ErrorContext(ctx, "delivery: message body is not a job", "messageId", rec.MessageId, "error", err)
		m.Job = webhook.Job{}
	}
	out := h.svc.DeliverTo(work, m, batch)
	rq, copies := l.copies, l.copies != nil
	switch out.Action {
	case Ack:
		return true, out.Posted
	case HandOff:
		if h.slow.copies == nil {
			break // no slow lane (never: only the main lane beside one hands off)
		}
		if err := h.slow.copies.Requeue(ctx, m, 0); err != nil {
			h.log.ErrorContext(ctx, "delivery: cannot hand job to the slow lane; retrying it instead", "messageId", rec.MessageId, "error", err)
			break
		}
		return true, false
	case Defer:
		if !copies {
			break // retried below: costs the job an attempt
		}
		if err := rq.Requeue(ctx, m, out.Delay); err != nil {
			h.log.ErrorContext(ctx, "delivery: cannot defer job; retrying it instead", "messageId", rec.MessageId, "error", err)
			break
		}
		return true, false
	case DeadLetter:
		out.Delay = 0
		if m.Job.Validate() != nil || !copies {
			break // the redrive policy moves it after maxReceiveCount
		}
		if err := rq.SendDead(ctx, m); err != nil {
			h.log.ErrorContext(ctx, "delivery: cannot dead-letter job; the redrive policy will", "messageId", rec.MessageId, "error", err)
			break
		}
		return true, out.Posted
	}
	if err := l.queue.Retry(ctx, m, out.Delay); err != nil {
		// The message still comes back, after the queue's default visibility.
		h.log.ErrorContext(ctx, "delivery: cannot set retry delay", "messageId", rec.MessageId, "error", err)
	}
	return false, out.Posted
}
