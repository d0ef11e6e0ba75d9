// Package ingest turns an ingest request (docs/architecture.md §3) into delivery jobs: it
// validates every record first, maps them to Logto events, finds the enabled hooks
// subscribed to each event and enqueues one job per (event x hook). The same
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
}

// Service is the ingest service. It is safe for concurrent use.
type Service struct {
	hooks   *hookcache.Cache
	queue   webhook.Sender
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics.Recorder
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		hooks:   hookcache.New(cfg.Hooks, cfg.HookCacheTTL),
		queue:   cfg.Queue,
		now:     cfg.Now,
		log:     cfg.Logger,
		metrics: cfg.Metrics,
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

// Ingest validates, maps and enqueues one request body. Errors are *Error: a 400
// (nothing was queued) or a 5xx (the producer should retry; ids are deterministic
// when records carry an id, so receivers can dedupe the retry).
func (s *Service) Ingest(ctx context.Context, body []byte) (Response, error) {
	records, err := webhook.DecodeRequest(body)
	if err != nil {
		return Response{}, s.reject(err)
	}
	msgs, err := mapping.MapAll(records, s.now())
	if err != nil {
		return Response{}, s.reject(err)
	}
	resp := Response{Accepted: len(records), Events: make([]EventRef, len(msgs))}
	for i, m := range msgs {
		resp.Events[i] = EventRef{ID: m.ID, Event: m.Event}
	}
	if len(msgs) == 0 {
		return resp, nil
	}
	hooks, err := s.hooks.List(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "ingest: cannot read hooks", "error", err)
		return Response{}, &Error{Status: 503, Code: "hooks_unavailable", Message: "cannot read hooks; retry the request"}
	}
	var jobs []webhook.Job
	for _, m := range msgs {
		for i := range hooks {
			if hooks[i].Subscribed(m.Event) {
				jobs = append(jobs, webhook.NewJob(m, hooks[i].ID))
			}
		}
	}
	if len(jobs) > 0 {
		if err := s.queue.Send(ctx, jobs); err != nil {
			s.log.ErrorContext(ctx, "ingest: enqueue failed", "error", err, "jobs", len(jobs))
			return Response{}, &Error{Status: 503, Code: "enqueue_failed", Message: "could not queue every delivery; retry the request"}
		}
	}
	resp.Deliveries = len(jobs)
	s.emit(msgs, len(jobs))
	s.log.InfoContext(ctx, "ingest: accepted", "records", len(records), "events", len(msgs), "deliveries", len(jobs))
	return resp, nil
}

func (s *Service) reject(err error) error {
	s.metrics.Emit("", metrics.Count(metrics.IngestRejected, 1))
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
