// Package ingest turns an ingest request (docs/architecture.md §3) into delivery jobs: it
// validates every record first, maps them to Logto events, finds the enabled hooks
// subscribed to each event and enqueues one job per (event x hook), within
// Limits checked before anything is queued (docs/fanout.md). The same
// Service backs the Lambda (API Gateway HTTP API or direct invoke) and the
// `webhooks dev` server.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Config wires a Service. Hooks and Queue are required.
type Config struct {
	Hooks hookcache.Store
	Queue webhook.Sender
	// HookCacheTTL bounds how long the hook list is reused (default 10 s).
	HookCacheTTL time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
	Metrics      *metrics.Recorder
	// Limits bound the fan-out of one request (see Limits; zero: defaults).
	Limits Limits
	// Sources are the Logto tenants the relay (POST /logto/{id}) accepts
	// bodies from. Nil: every relayed body is refused as from an unknown source.
	Sources webhook.SourceStore
	// ReplayWindow is how far a relayed body's createdAt may lie in the past
	// or the future (default DefaultReplayWindow).
	ReplayWindow time.Duration
}

// sendChunk is how many jobs Ingest hands the queue at a time. The jobs share
// their event's payload, so a chunk is small; the queue encodes and sends each
// chunk in bounded pieces of its own (the SQS adapter concurrently, the
// embedded queue in short transactions).
const sendChunk = 1000

// Service is the ingest service. It is safe for concurrent use.
type Service struct {
	hooks   *hookcache.Cache
	queue   webhook.Sender
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics.Recorder
	limits  Limits
	sources webhook.SourceStore
	replay  time.Duration
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		hooks:   hookcache.New(cfg.Hooks, cfg.HookCacheTTL),
		queue:   cfg.Queue,
		now:     cfg.Now,
		log:     cfg.Logger,
		metrics: cfg.Metrics,
		limits:  cfg.Limits.withDefaults(),
		sources: cfg.Sources,
		replay:  cfg.ReplayWindow,
	}
	if s.replay <= 0 {
		s.replay = DefaultReplayWindow
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Response is the 202 body.
type Response struct {
	Accepted   int        `json:"accepted"`
	Deliveries int        `json:"deliveries"`
	Events     []EventRef `json:"events"`
}

// EventRef names one produced event.
type EventRef struct {
	ID    string        `json:"id"`
	Event webhook.Event `json:"event"`
}

// Ingest validates, maps and enqueues one request body. Errors are *Error: a 4xx
// when the request can never succeed as it is (nothing was queued: every record,
// and every job against Limits, is checked before the first is sent), or a 503
// when a retry can help. Then jobs may have been queued partly, which is safe:
// ids are deterministic when records carry an id, so receivers dedupe the retry.
func (s *Service) Ingest(ctx context.Context, body []byte) (Response, error) {
	records, err := DecodeRequest(body)
	if err != nil {
		return Response{}, s.reject(err)
	}
	events, err := s.mapRecords(records)
	if err != nil {
		return Response{}, s.reject(err)
	}
	resp := Response{Accepted: len(records), Events: make([]EventRef, len(events))}
	for i, e := range events {
		resp.Events[i] = EventRef{ID: e.ID, Event: e.Event}
	}
	if len(events) == 0 {
		return resp, nil
	}
	jobs, err := s.fanOut(ctx, events)
	if err != nil {
		return Response{}, err
	}
	resp.Deliveries = jobs
	msgs := make([]webhook.EventMessage, len(events))
	for i, e := range events {
		msgs[i] = e.EventMessage
	}
	s.emit(msgs, jobs)
	s.log.InfoContext(ctx, "ingest: accepted", "records", len(records), "events", len(events), "deliveries", jobs)
	return resp, nil
}

// fanOut queues one job per (event x subscribed enabled hook), after checking
// all of them against the Limits, and returns how many it queued. Errors are
// *Error: 413 for a fan-out over a limit (nothing queued), 503 when the hooks
// cannot be read or the queue fails.
func (s *Service) fanOut(ctx context.Context, events []event) (int, error) {
	hooks, err := s.hooks.List(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "ingest: cannot read hooks", "error", err)
		return 0, &Error{Status: 503, Code: "hooks_unavailable", Message: "cannot read hooks; retry the request"}
	}
	plan, err := planFanout(events, hooks, s.limits, s.now().UnixMilli())
	if err != nil {
		return 0, s.reject(err)
	}
	sent := 0
	err = plan.chunks(sendChunk, func(jobs []webhook.Job) error {
		if err := s.queue.Send(ctx, jobs); err != nil {
			return err
		}
		sent += len(jobs)
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "ingest: enqueue failed", "error", err, "jobs", plan.jobs, "sentBefore", sent)
		return 0, &Error{Status: 503, Code: "enqueue_failed",
			Message: "could not queue every delivery; retry the request (deliveries queued already keep their ids, so receivers dedupe them)"}
	}
	s.log.DebugContext(ctx, "ingest: queued", "deliveries", plan.jobs, "jobBytes", plan.bytes)
	return plan.jobs, nil
}

// mapRecords maps every record, keeping which record each event came from.
// Like MapAll it fails on the first record that cannot be mapped.
func (s *Service) mapRecords(records []webhook.Record) ([]event, error) {
	now := s.now() // one clock reading for the request, as MapAll does
	return mapRecords(mapping.Mapper{Now: func() time.Time { return now }}, records)
}

func (s *Service) reject(err error) error {
	s.metrics.Emit("", metrics.Count(metrics.IngestRejected, 1))
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe *webhook.FieldError
	if errors.As(err, &fe) {
		e := &Error{Status: 400, Code: "invalid_record", Message: fe.Reason, Field: fe.Field}
		if fe.Record >= 0 {
			r := fe.Record
			e.Record = &r
		} else {
			e.Code = "invalid_request"
		}
		return e
	}
	return &Error{Status: 400, Code: "invalid_request", Message: err.Error()}
}

// emit writes one EMF line per distinct event (IngestAccepted) and one for the
// request (IngestDeliveries), not one per event: a 500-record request would
// otherwise write 500 billed log lines.
func (s *Service) emit(msgs []webhook.EventMessage, deliveries int) {
	if s.metrics == nil {
		return
	}
	perEvent := map[webhook.Event]int{}
	for _, m := range msgs {
		perEvent[m.Event]++
	}
	for e, n := range perEvent {
		s.metrics.Emit(string(e), metrics.Count(metrics.IngestAccepted, float64(n)))
	}
	s.metrics.Emit("", metrics.Count(metrics.IngestDeliveries, float64(deliveries)))
}
