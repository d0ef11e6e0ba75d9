package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// countingStore counts SetFailingSince calls and can make them fail.
type countingStore struct {
	*webhooktest.MemoryHookStore
	mu    sync.Mutex
	calls []int64
	err   error
}

func (s *countingStore) SetFailingSince(ctx context.Context, id string, since int64) error {
	s.mu.Lock()
	s.calls = append(s.calls, since)
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.MemoryHookStore.SetFailingSince(ctx, id, since)
}

type disableFixture struct {
	svc     *delivery.Service
	hooks   *countingStore
	poster  *fakePoster
	clock   time.Time
	logs    bytes.Buffer
	metrics bytes.Buffer
}

// newDisableFixture serves h with answers from answer and a clock the test moves.
func newDisableFixture(t *testing.T, disableAfter time.Duration, answer func(int) (delivery.Response, error), h webhook.Hook) *disableFixture {
	t.Helper()
	f := &disableFixture{
		hooks:  &countingStore{MemoryHookStore: webhooktest.NewMemoryHookStore()},
		poster: &fakePoster{answer: answer},
		clock:  now,
	}
	if err := f.hooks.PutHook(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	f.svc = delivery.NewService(delivery.Config{
		Hooks: f.hooks, Poster: f.poster, DisableAfter: disableAfter,
		Now:     func() time.Time { return f.clock },
		Rand:    func() float64 { return 0.5 },
		Logger:  slog.New(slog.NewJSONHandler(&f.logs, nil)),
		Metrics: metrics.New(&f.metrics, ""),
	})
	return f
}

func (f *disableFixture) hook(t *testing.T) webhook.Hook {
	t.Helper()
	h, err := f.hooks.GetHook(t.Context(), testHook.ID)
	if err != nil {
		t.Fatalf("GetHook: %v", err)
	}
	return h
}

// failingSince returns testHook failing since d before now.
func failingSince(d time.Duration) webhook.Hook {
	h := testHook
	h.FailingSince = now.Add(-d).UnixMilli()
	return h
}

func TestDeliverTracksFailingHooks(t *testing.T) {
	const day = 24 * time.Hour
	since5d := now.Add(-5 * day).UTC().Format(time.RFC3339)
	tests := []struct {
		name         string
		hook         webhook.Hook
		attempt      int           // 0: the first
		disableAfter time.Duration // 0: the default, 5 days
		answer       func(int) (delivery.Response, error)
		want         delivery.Outcome
		wantCalls    []int64 // SetFailingSince arguments
		wantSince    int64   // FailingSince afterwards
		wantDisabled string  // reason; "" when the hook stays enabled
	}{
		{
			name: "success while healthy writes nothing", hook: testHook, answer: status(204),
			want: delivery.Outcome{Action: delivery.Ack},
		},
		{
			name: "first failure starts the clock", hook: testHook, answer: status(500),
			want:      delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second},
			wantCalls: []int64{now.UnixMilli()}, wantSince: now.UnixMilli(),
		},
		{
			name: "network error starts the clock", hook: testHook,
			answer:    func(int) (delivery.Response, error) { return delivery.Response{}, errors.New("connection refused") },
			want:      delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second},
			wantCalls: []int64{now.UnixMilli()}, wantSince: now.UnixMilli(),
		},
		{
			name: "success clears the clock", hook: failingSince(4 * day), answer: status(200),
			want:      delivery.Outcome{Action: delivery.Ack},
			wantCalls: []int64{0}, wantSince: 0,
		},
		{
			name: "failure while failing writes nothing", hook: failingSince(5*day - time.Millisecond), answer: status(503),
			want:      delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second},
			wantSince: now.Add(-5*day + time.Millisecond).UnixMilli(),
		},
		{
			name: "failure 5 days on disables and drops", hook: failingSince(5 * day), answer: status(500),
			want:      delivery.Outcome{Action: delivery.Ack},
			wantCalls: []int64{0}, wantSince: 0,
			wantDisabled: "failing without a success since " + since5d,
		},
		{
			name: "last attempt past 5 days disables rather than dead-letters", hook: failingSince(9 * day), attempt: 8,
			answer:    func(int) (delivery.Response, error) { return delivery.Response{}, errors.New("timeout") },
			want:      delivery.Outcome{Action: delivery.Ack},
			wantCalls: []int64{0}, wantSince: 0,
			wantDisabled: "failing without a success since " + now.Add(-9*day).UTC().Format(time.RFC3339),
		},
		{
			name: "shorter DisableAfter", hook: failingSince(time.Hour), disableAfter: time.Hour, answer: status(500),
			want:      delivery.Outcome{Action: delivery.Ack},
			wantCalls: []int64{0}, wantSince: 0,
			wantDisabled: "failing without a success since " + now.Add(-time.Hour).UTC().Format(time.RFC3339),
		},
		{
			name: "negative DisableAfter never disables", hook: failingSince(30 * day), disableAfter: -1, answer: status(500),
			want:      delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second},
			wantSince: now.Add(-30 * day).UnixMilli(),
		},
		{
			name: "negative DisableAfter does not start the clock", hook: testHook, disableAfter: -1, answer: status(500),
			want: delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second},
		},
		{
			name: "410 while failing disables and stops the clock", hook: failingSince(day), answer: status(410),
			want:      delivery.Outcome{Action: delivery.Ack},
			wantCalls: []int64{0}, wantSince: 0,
			wantDisabled: "endpoint answered 410 Gone",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDisableFixture(t, tt.disableAfter, tt.answer, tt.hook)
			got := f.svc.Deliver(t.Context(), message(max(tt.attempt, 1)))
			if !got.Posted {
				t.Error("the outcome does not say an attempt was made")
			}
			if got.Posted = false; got != tt.want {
				t.Errorf("outcome %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(f.hooks.calls, tt.wantCalls) {
				t.Errorf("SetFailingSince calls %v, want %v", f.hooks.calls, tt.wantCalls)
			}
			h := f.hook(t)
			if h.FailingSince != tt.wantSince {
				t.Errorf("failingSince = %d, want %d", h.FailingSince, tt.wantSince)
			}
			disabled := !h.Enabled
			if disabled != (tt.wantDisabled != "") || h.DisabledReason != tt.wantDisabled {
				t.Errorf("enabled, reason = %v, %q; want disabled %v with reason %q", h.Enabled, h.DisabledReason, tt.wantDisabled != "", tt.wantDisabled)
			}
			gotMetric := strings.Contains(f.metrics.String(), `"HookDisabled":1`)
			if gotMetric != disabled {
				t.Errorf("HookDisabled metric emitted = %v, want %v; metrics:\n%s", gotMetric, disabled, f.metrics.String())
			}
			if !disabled {
				return
			}
			if !strings.Contains(f.logs.String(), `"level":"WARN","msg":"delivery: `) || !strings.Contains(f.logs.String(), "disabled") {
				t.Errorf("no warning about the disabled hook in logs:\n%s", f.logs.String())
			}
			// The cache forgot the hook: the next job is dropped without a POST.
			if out := f.svc.Deliver(t.Context(), message(1)); out.Action != delivery.Ack || len(f.poster.requests) != 1 {
				t.Errorf("after disabling: outcome %+v, %d POSTs; want Ack and no new POST", out, len(f.poster.requests))
			}
		})
	}
}

// TestDeliverFailingClockAcrossJobs runs one hook through days of jobs with the
// service's cache in place: every change of FailingSince must reach the next job,
// and a success in between must restart the clock.
func TestDeliverFailingClockAcrossJobs(t *testing.T) {
	const day = 24 * time.Hour
	var ok bool
	answer := func(int) (delivery.Response, error) {
		if ok {
			return delivery.Response{Status: 200}, nil
		}
		return delivery.Response{Status: 500}, nil
	}
	f := newDisableFixture(t, 0, answer, testHook)
	t0 := now
	steps := []struct {
		name      string
		at        time.Duration // after t0
		succeed   bool
		want      delivery.Action
		wantSince time.Duration // after t0; -1: none
		disabled  bool
	}{
		{"first failure", 0, false, delivery.Retry, 0, false},
		{"success 3 days on", 3 * day, true, delivery.Ack, -1, false},
		{"failure 5 days on restarts the clock", 5 * day, false, delivery.Retry, 5 * day, false},
		{"failure 8 days on: 3 days failing", 8 * day, false, delivery.Retry, 5 * day, false},
		{"failure 10 days on: 5 days failing", 10 * day, false, delivery.Ack, -1, true},
		{"next job is dropped", 10*day + time.Second, true, delivery.Ack, -1, true},
	}
	for _, st := range steps {
		f.clock, ok = t0.Add(st.at), st.succeed
		posts := len(f.poster.requests)
		if got := f.svc.Deliver(t.Context(), message(1)); got.Action != st.want {
			t.Fatalf("%s: outcome %+v, want action %v", st.name, got, st.want)
		}
		h := f.hook(t)
		wantSince := int64(0)
		if st.wantSince >= 0 {
			wantSince = t0.Add(st.wantSince).UnixMilli()
		}
		if h.FailingSince != wantSince || h.Enabled == st.disabled {
			t.Fatalf("%s: failingSince, enabled = %d, %v; want %d, %v", st.name, h.FailingSince, h.Enabled, wantSince, !st.disabled)
		}
		if st.name == "next job is dropped" && len(f.poster.requests) != posts {
			t.Fatalf("%s: a disabled hook was POSTed to", st.name)
		}
	}
	if n := strings.Count(f.metrics.String(), `"HookDisabled":1`); n != 1 {
		t.Errorf("HookDisabled emitted %d times, want once", n)
	}
}

// TestDeliverFailingSinceErrorsAreNotFatal: the rule's bookkeeping never
// changes what happens to the job.
func TestDeliverFailingSinceErrorsAreNotFatal(t *testing.T) {
	tests := []struct {
		name   string
		hook   webhook.Hook
		answer func(int) (delivery.Response, error)
		want   delivery.Outcome
	}{
		{"success still acks", failingSince(time.Hour), status(204), delivery.Outcome{Action: delivery.Ack}},
		{"failure still retries", testHook, status(500), delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDisableFixture(t, 0, tt.answer, tt.hook)
			f.hooks.err = errors.New("throttled")
			got := f.svc.Deliver(t.Context(), message(1))
			if !got.Posted {
				t.Error("the outcome does not say an attempt was made")
			}
			if got.Posted = false; got != tt.want {
				t.Errorf("outcome %+v, want %+v", got, tt.want)
			}
			if len(f.hooks.calls) != 1 {
				t.Errorf("SetFailingSince called %d times, want once", len(f.hooks.calls))
			}
			if !strings.Contains(f.logs.String(), "throttled") {
				t.Errorf("the store error is not logged:\n%s", f.logs.String())
			}
		})
	}
}
