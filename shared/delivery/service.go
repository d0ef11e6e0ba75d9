package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Poster sends one HTTP request; *Sender is the real one.
type Poster interface {
	Post(ctx context.Context, r Request) (Response, error)
}

var _ Poster = (*Sender)(nil)

// Hooks is what the service needs of the hook store.
type Hooks interface {
	hookcache.Store
	SetEnabled(ctx context.Context, id string, enabled bool, reason string) error
	SetFailingSince(ctx context.Context, id string, since int64) error
	SetCircuit(ctx context.Context, id string, openUntil int64, reason string) error
}

// Config wires a Service. Hooks and Poster are required.
type Config struct {
	Hooks  Hooks
	Poster Poster
	// Log records every attempt; nil disables the delivery log.
	Log webhook.DeliveryLog
	// Schedule is the retry schedule (default DefaultSchedule). Its attempt count
	// must equal the queue's maxReceiveCount.
	Schedule Schedule
	// Timeout is the per-attempt timeout when the hook sets none (default 10 s).
	Timeout      time.Duration
	HookCacheTTL time.Duration
	// DisableAfter is how long a hook may fail without a success before the
	// service disables it (docs/architecture.md §5; default DefaultDisableAfter). Negative
	// turns the rule off, and with it the tracking writes.
	DisableAfter time.Duration
	// MaxLoggedBody caps the request and response bodies kept in the delivery log
	// (default 16 KiB; DynamoDB items stop at 400 KB).
	MaxLoggedBody int
	// Isolation bounds what one hook may take of this process (see
	// IsolationConfig); its MaxInFlight defaults to Concurrency.
	Isolation IsolationConfig
	// Concurrency is how many attempts the process runs at once (the Worker's or
	// SQSHandler's; default DefaultConcurrency).
	Concurrency int
	Now         func() time.Time
	Rand        func() float64
	Logger      *slog.Logger
	Metrics     *metrics.Recorder
}

// Service delivers jobs. It is safe for concurrent use.
type Service struct {
	cfg   Config
	hooks *hookcache.Cache
	gate  *gate
}

// DefaultConcurrency is how many attempts a Worker or SQSHandler runs at once:
// the SQS event source mapping's largest standard batch.
const DefaultConcurrency = 10

// DefaultTimeout is the per-attempt timeout of Logto (10 s).
const DefaultTimeout = 10 * time.Second

// DefaultDisableAfter is docs/architecture.md §5's "a hook failing without a success for 5 days
// is disabled": long enough to ride out a receiver's bad weekend and several
// full retry schedules (about 27.6 h each).
const DefaultDisableAfter = 5 * 24 * time.Hour

// NewService returns a Service with cfg's zero fields defaulted.
func NewService(cfg Config) *Service {
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DisableAfter == 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.MaxLoggedBody <= 0 {
		cfg.MaxLoggedBody = 16 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Isolation.OpenFor <= 0 && len(cfg.Schedule) > 1 {
		// The first retry's delay, within [1 s, DefaultOpenFor]: a short test
		// schedule probes often, the default one (5 s) soon enough.
		cfg.Isolation.OpenFor = min(max(cfg.Schedule[1], time.Second), DefaultOpenFor)
	}
	return &Service{cfg: cfg, hooks: hookcache.New(cfg.Hooks, cfg.HookCacheTTL), gate: newGate(cfg.Isolation, cfg.Concurrency, cfg.Rand)}
}

// Action is what the queue should do with a message after an attempt.
type Action int

// The actions. Retry and Defer carry a delay in Outcome.Delay. Retry follows a
// failed attempt and counts it; Defer puts back a job that was not attempted
// (its hook is at its in-flight limit or its circuit is open), and must not
// use one of its attempts (webhook.Consumer.Defer). DeadLetter asks the queue to retire
// the message without further POSTs (the job cannot or may not be sent again).
// HandOff sends a main-lane job to the slow lane without using an attempt
// (only SQSHandler's main lane, which has one, gets it; see lane.go).
const (
	Ack Action = iota
	Retry
	DeadLetter
	Defer
	HandOff
)

// Outcome is the result of Deliver.
type Outcome struct {
	Action Action
	Delay  time.Duration
	// Posted says an attempt was made and answered or failed (not cut).
	Posted bool
}

// Deliver makes one attempt at m and says what the queue should do next. It never
// returns an error: every failure is classified into an Outcome and logged.
func (s *Service) Deliver(ctx context.Context, m webhook.Message) Outcome {
	return s.DeliverTo(ctx, m, nil)
}

// DeliverTo is Deliver adding the attempt's metrics to b, which the caller
// flushes once for many attempts (the SQS handler, once per batch), instead
// of writing a line of its own; nil b writes the line at once.
func (s *Service) DeliverTo(ctx context.Context, m webhook.Message, b *metrics.Batch) Outcome {
	var t tally
	out := s.deliver(ctx, m, &t)
	if b != nil {
		b.Add(string(m.Job.Event), t...)
	} else {
		s.cfg.Metrics.Emit(string(m.Job.Event), t...)
	}
	return out
}

// Metrics returns the service's recorder (nil when it has none), for callers
// batching lines with DeliverTo.
func (s *Service) Metrics() *metrics.Recorder { return s.cfg.Metrics }

// tally collects one attempt's metrics so that they leave as one EMF line, or
// join a batch's: on Lambda every line is billed log ingestion.
type tally []metrics.Value

func (t *tally) add(name string) { *t = append(*t, metrics.Count(name, 1)) }

func (s *Service) deliver(ctx context.Context, m webhook.Message, t *tally) (out Outcome) {
	job := m.Job
	log := s.cfg.Logger.With("deliveryId", job.DeliveryID, "hookId", job.HookID, "event", job.Event, "attempt", m.Attempt)
	if err := job.Validate(); err != nil {
		log.ErrorContext(ctx, "delivery: undeliverable job, dead-lettering", "error", err)
		t.add(metrics.DeliveryDeadLettered)
		return Outcome{Action: DeadLetter}
	}
	hook, err := s.hooks.Get(ctx, job.HookID)
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		log.InfoContext(ctx, "delivery: hook deleted, dropping job")
		t.add(metrics.DeliveryDropped)
		return Outcome{Action: Ack}
	case err != nil && handedOff(ctx):
		return s.handOff(ctx, log, t, "cut while loading the hook")
	case err != nil:
		log.ErrorContext(ctx, "delivery: cannot load hook", "error", err)
		return s.retryOrDead(ctx, log, t, m, s.cfg.Schedule.Attempts(), 0)
	case !hook.Enabled:
		log.InfoContext(ctx, "delivery: hook disabled, dropping job")
		t.add(metrics.DeliveryDropped)
		return Outcome{Action: Ack}
	}
	limit := s.attemptLimit(&hook)
	if m.Attempt > limit {
		log.WarnContext(ctx, "delivery: hook retries exhausted, dead-lettering", "limit", limit)
		t.add(metrics.DeliveryDeadLettered)
		return Outcome{Action: DeadLetter}
	}

	now := s.cfg.Now()
	timeout := hook.Timeout(s.cfg.Timeout)
	adm := s.gate.acquire(ctx, &hook, timeout, s.cfg.Now)
	switch {
	case adm.handOff:
		return s.handOff(ctx, log, t, adm.reason)
	case !adm.ok:
		return s.deferJob(ctx, log, t, job, adm, now)
	}
	now = s.cfg.Now() // the wait for a slot may have taken a moment
	body := job.Body()
	resp, postErr := Attempt(ctx, s.cfg.Poster, &hook, job.DeliveryID, body, now, s.cfg.Timeout)
	if postErr != nil && handedOff(ctx) {
		// Not an attempt: its result is unknown, and the slow lane makes it again.
		s.gate.cut(&hook, adm, s.cfg.Now().Sub(now), s.cfg.Now())
		return s.handOff(ctx, log, t, fmt.Sprintf("no answer within %s, while the rest of its batch was done", resp.Latency.Round(time.Millisecond)))
	}
	// Every outcome from here on follows an attempt.
	defer func() { out.Posted = true }()

	entry := webhook.LogEntry{
		HookID: job.HookID, DeliveryID: job.DeliveryID, EventID: job.EventID, Event: job.Event,
		Attempt: m.Attempt, Status: resp.Status, LatencyMs: resp.Latency.Milliseconds(),
		Request: truncate(body, s.cfg.MaxLoggedBody), Response: truncate(resp.Body, s.cfg.MaxLoggedBody),
		CreatedAt: now.UnixMilli(),
	}
	ok := postErr == nil && resp.Status >= 200 && resp.Status < 300
	permanent := postErr != nil && Permanent(postErr)
	switch {
	case ok:
		entry.Result = webhook.ResultSuccess
	case postErr != nil:
		entry.Result, entry.Error = webhook.ResultError, postErr.Error()
		if permanent {
			entry.Error += " (permanent: dead-lettered without retrying)"
		}
	default:
		entry.Result, entry.Error = webhook.ResultError, fmt.Sprintf("Request failed with status code %d %s", resp.Status, http.StatusText(resp.Status))
		if resp.Status >= 300 && resp.Status < 400 {
			entry.Error += ": redirects are not followed"
		}
	}
	if tr := s.gate.done(&hook, adm, attemptResult{ok: ok, timedOut: errors.Is(postErr, context.DeadlineExceeded), status: resp.Status, latency: resp.Latency}, s.cfg.Now()); tr.opened || tr.closed {
		s.circuitChanged(ctx, log, t, &hook, tr)
		if tr.opened {
			entry.Error += "; circuit opened: " + tr.reason
		}
	}
	s.record(ctx, log, entry)
	log = log.With("status", resp.Status, "latencyMs", entry.LatencyMs)
	*t = append(*t, metrics.Millis(metrics.DeliveryLatency, resp.Latency))

	if ok {
		// Debug: a line per success would be most of the log bill; the
		// handler logs a summary per batch, and failures are logged below.
		log.DebugContext(ctx, "delivery: delivered")
		t.add(metrics.DeliverySucceeded)
		if hook.FailingSince != 0 && s.cfg.DisableAfter >= 0 {
			// A success stops the clock. Only a hook that was failing pays this
			// write; the happy path reads FailingSince == 0 and writes nothing.
			s.setFailingSince(ctx, log, hook.ID, 0)
		}
		return Outcome{Action: Ack}
	}
	t.add(metrics.DeliveryFailed)
	if postErr == nil && resp.Status == http.StatusGone {
		// 410 is the receiver saying "stop": Standard Webhooks asks senders to
		// disable the endpoint, and retrying would only repeat the answer.
		if err := s.cfg.Hooks.SetEnabled(ctx, hook.ID, false, "endpoint answered 410 Gone"); err != nil {
			log.ErrorContext(ctx, "delivery: cannot disable hook after 410", "error", err)
			return s.retryOrDead(ctx, log, t, m, limit, 0)
		}
		s.hooks.Forget(hook.ID)
		log.WarnContext(ctx, "delivery: endpoint answered 410 Gone, hook disabled")
		t.add(metrics.HookDisabled)
		if hook.FailingSince != 0 {
			// A disabled hook's clock stops, so re-enabling it gives it a
			// full DisableAfter again.
			s.setFailingSince(ctx, log, hook.ID, 0)
		}
		return Outcome{Action: Ack}
	}
	if permanent {
		log.WarnContext(ctx, "delivery: attempt can never succeed, dead-lettering", "error", postErr)
		t.add(metrics.DeliveryDeadLettered)
		return Outcome{Action: DeadLetter}
	}
	if postErr != nil {
		log.WarnContext(ctx, "delivery: attempt failed", "error", postErr)
	} else {
		log.WarnContext(ctx, "delivery: endpoint answered an error")
	}
	if s.disableIfFailing(ctx, log, &hook, now) {
		t.add(metrics.HookDisabled)
		return Outcome{Action: Ack}
	}
	return s.retryOrDead(ctx, log, t, m, limit, ParseRetryAfter(resp.RetryAfter, now))
}

// disableIfFailing applies docs/architecture.md §5's rule after a failed attempt made at now:
// the hook's first failure since a success starts its clock (FailingSince); a
// failure DisableAfter or more later disables the hook, and the job is dropped
// like after a 410. It reports whether it disabled the hook. Failures while the
// clock runs cost no write. The hook may come from the cache, up to its TTL
// stale: a concurrent first failure elsewhere is harmless (the store keeps the
// earliest), and a success it hides is made up by the next one.
func (s *Service) disableIfFailing(ctx context.Context, log *slog.Logger, hook *webhook.Hook, now time.Time) bool {
	if s.cfg.DisableAfter < 0 {
		return false
	}
	if hook.FailingSince == 0 {
		s.setFailingSince(ctx, log, hook.ID, now.UnixMilli())
		return false
	}
	since := time.UnixMilli(hook.FailingSince).UTC()
	if now.Sub(since) < s.cfg.DisableAfter {
		return false
	}
	reason := "failing without a success since " + since.Format(time.RFC3339)
	if err := s.cfg.Hooks.SetEnabled(ctx, hook.ID, false, reason); err != nil {
		log.ErrorContext(ctx, "delivery: cannot disable failing hook", "error", err)
		return false // retried as any failure; the next failure tries again
	}
	log.WarnContext(ctx, "delivery: hook failing without a success for too long, disabled",
		"failingSince", since.Format(time.RFC3339), "disableAfter", s.cfg.DisableAfter.String())
	// A disabled hook's clock stops, so re-enabling it gives it a full
	// DisableAfter again. setFailingSince also forgets the cached hook, so the
	// next job sees it disabled.
	s.setFailingSince(ctx, log, hook.ID, 0)
	return true
}

// setFailingSince records or clears (since == 0) the hook's failing clock and
// forgets the cached hook, so the next job reads the new value. A failed write
// is logged and the delivery goes on: the rule is bookkeeping and must not turn
// a delivered webhook into a retry.
func (s *Service) setFailingSince(ctx context.Context, log *slog.Logger, id string, since int64) {
	if err := s.cfg.Hooks.SetFailingSince(ctx, id, since); err != nil {
		log.ErrorContext(ctx, "delivery: cannot record when the hook started failing", "failingSince", since, "error", err)
	}
	s.hooks.Forget(id)
}

// attemptLimit is how many attempts the hook allows: the schedule, or fewer when
// the hook sets retries.
func (s *Service) attemptLimit(h *webhook.Hook) int {
	n := s.cfg.Schedule.Attempts()
	if h.Retries != nil && *h.Retries+1 < n {
		n = *h.Retries + 1
	}
	return n
}

func (s *Service) retryOrDead(ctx context.Context, log *slog.Logger, t *tally, m webhook.Message, limit int, retryAfter time.Duration) Outcome {
	delay, ok := s.cfg.Schedule.Next(m.Attempt, retryAfter, s.cfg.Rand)
	if !ok || m.Attempt >= limit {
		log.WarnContext(ctx, "delivery: attempts exhausted, dead-lettering")
		t.add(metrics.DeliveryDeadLettered)
		return Outcome{Action: DeadLetter}
	}
	log.InfoContext(ctx, "delivery: will retry", "delay", delay.String())
	t.add(metrics.DeliveryRetried)
	return Outcome{Action: Retry, Delay: delay}
}

func (s *Service) record(ctx context.Context, log *slog.Logger, e webhook.LogEntry) {
	if s.cfg.Log == nil || collect(ctx, e) {
		return
	}
	if err := s.cfg.Log.Record(ctx, e); err != nil {
		// A lost log line must not turn a delivered webhook into a retry (the
		// receiver would get a duplicate): report it and go on.
		log.ErrorContext(ctx, "delivery: cannot write delivery log", "error", err)
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// circuitChanged stores, logs and counts a circuit's opening or closing. The
// store write shares the state with other processes and shows it to the
// operator (`webhooks hooks get`, the management API); if it fails, this
// process still holds the hook back, and the next transition tries again.
func (s *Service) circuitChanged(ctx context.Context, log *slog.Logger, t *tally, hook *webhook.Hook, tr transition) {
	var until int64
	if tr.opened {
		until = tr.openUntil.UnixMilli()
		log.WarnContext(ctx, "delivery: circuit opened; the hook's jobs are deferred", "reason", tr.reason,
			"openUntil", tr.openUntil.UTC().Format(time.RFC3339))
		t.add(metrics.CircuitOpened)
	} else {
		log.InfoContext(ctx, "delivery: circuit closed; deliveries resume")
		t.add(metrics.CircuitClosed)
	}
	open := 0.0
	if tr.opened {
		open = 1
	}
	s.cfg.Metrics.EmitHook(hook.ID, metrics.Count(metrics.CircuitOpen, open))
	if err := s.cfg.Hooks.SetCircuit(ctx, hook.ID, until, tr.reason); err != nil {
		log.ErrorContext(ctx, "delivery: cannot store the circuit state", "error", err)
	}
	s.hooks.Forget(hook.ID)
}

// handOff answers a main-lane job that goes to the slow lane, and why.
func (s *Service) handOff(ctx context.Context, log *slog.Logger, t *tally, reason string) Outcome {
	log.DebugContext(ctx, "delivery: handed to the slow lane", "reason", reason)
	t.add(metrics.DeliveryHandedOff)
	return Outcome{Action: HandOff}
}

// deferJob answers a job the gate did not admit: Defer, unless the job has
// been queued longer than its whole retry schedule (with jitter) would take,
// in which case it goes to the dead-letter queue as it would have had every
// attempt failed; the deferral is cut short to come back at that moment.
func (s *Service) deferJob(ctx context.Context, log *slog.Logger, t *tally, job webhook.Job, adm admission, now time.Time) Outcome {
	delay := adm.wait
	if job.QueuedAt > 0 {
		life := time.Duration(float64(s.cfg.Schedule.Total()) * (1 + Jitter))
		left := time.UnixMilli(job.QueuedAt).Add(life).Sub(now)
		if left <= 0 {
			log.WarnContext(ctx, "delivery: held back for longer than the retry schedule, dead-lettering",
				"reason", adm.reason, "queuedAt", time.UnixMilli(job.QueuedAt).UTC().Format(time.RFC3339))
			t.add(metrics.DeliveryDeadLettered)
			return Outcome{Action: DeadLetter}
		}
		delay = min(delay, left)
	}
	log.DebugContext(ctx, "delivery: deferred", "reason", adm.reason, "delay", delay.String())
	t.add(metrics.DeliveryDeferred)
	return Outcome{Action: Defer, Delay: delay}
}
