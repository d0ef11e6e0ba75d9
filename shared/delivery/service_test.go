package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fakePoster answers from a script and records requests.
type fakePoster struct {
	mu       sync.Mutex
	requests []delivery.Request
	answer   func(n int) (delivery.Response, error)
}

func (p *fakePoster) Post(_ context.Context, r delivery.Request) (delivery.Response, error) {
	p.mu.Lock()
	p.requests = append(p.requests, r)
	n := len(p.requests)
	p.mu.Unlock()
	return p.answer(n)
}

func status(code int) func(int) (delivery.Response, error) {
	return func(int) (delivery.Response, error) {
		return delivery.Response{Status: code, Latency: 5 * time.Millisecond}, nil
	}
}

type fixture struct {
	svc    *delivery.Service
	hooks  *webhooktest.MemoryHookStore
	log    *webhooktest.MemoryDeliveryLog
	poster *fakePoster
	logs   *bytes.Buffer
}

func newFixture(t *testing.T, answer func(int) (delivery.Response, error), hooks ...webhook.Hook) *fixture {
	t.Helper()
	f := &fixture{
		hooks:  webhooktest.NewMemoryHookStore(),
		log:    webhooktest.NewMemoryDeliveryLog(),
		poster: &fakePoster{answer: answer},
		logs:   &bytes.Buffer{},
	}
	for _, h := range hooks {
		if err := f.hooks.PutHook(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	f.svc = delivery.NewService(delivery.Config{
		Hooks: f.hooks, Poster: f.poster, Log: f.log,
		Schedule: delivery.DefaultSchedule,
		Now:      func() time.Time { return now },
		Rand:     func() float64 { return 0.5 }, // no jitter
		Logger:   slog.New(slog.NewJSONHandler(f.logs, nil)),
	})
	return f
}

var testHook = webhook.Hook{
	ID: "h1", URL: "https://receiver.example/hook", Events: []webhook.Event{webhook.UserCreated},
	Enabled: true, SigningKey: "secret-signing-key-123", Headers: map[string]string{"x-api-key": "custom-header-secret"},
}

func message(attempt int) webhook.Message {
	m := webhook.EventMessage{ID: "evt_1", Event: webhook.UserCreated, Payload: []byte(`{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"id":"u1"}}`)}
	return webhook.Message{Job: webhook.NewJob(m, "h1"), Receipt: "r", Attempt: attempt}
}

func TestDeliverSuccessSignsAndLogs(t *testing.T) {
	f := newFixture(t, status(204), testHook)
	out := f.svc.Deliver(context.Background(), message(1))
	if out.Action != delivery.Ack {
		t.Fatalf("outcome %+v, want Ack", out)
	}
	if len(f.poster.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(f.poster.requests))
	}
	req := f.poster.requests[0]
	wantBody := `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"id":"u1"},"hookId":"h1"}`
	if string(req.Body) != wantBody {
		t.Errorf("body %s, want %s", req.Body, wantBody)
	}
	if err := signature.Verify(req.Header, req.Body, testHook.SigningKey, time.Minute, now); err != nil {
		t.Errorf("signatures do not verify: %v", err)
	}
	if got := req.Header.Get("webhook-id"); got != message(1).Job.DeliveryID {
		t.Errorf("webhook-id %q, want the delivery id %q", got, message(1).Job.DeliveryID)
	}
	if req.Header.Get("x-api-key") != "custom-header-secret" {
		t.Errorf("custom header missing: %v", req.Header)
	}
	entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"})
	if len(entries) != 1 || entries[0].Result != webhook.ResultSuccess || entries[0].Status != 204 || entries[0].Attempt != 1 {
		t.Errorf("log entries %+v, want one success with status 204", entries)
	}
	for _, secret := range []string{testHook.SigningKey, "custom-header-secret"} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("log output contains a secret: %s", f.logs)
		}
	}
}

func TestDeliverFailures(t *testing.T) {
	limited := testHook
	one := 1
	limited.Retries = &one
	disabled := testHook
	disabled.Enabled = false
	tests := []struct {
		name      string
		hook      *webhook.Hook // nil: no hook stored
		answer    func(int) (delivery.Response, error)
		attempt   int
		want      delivery.Outcome
		posts     int
		logResult webhook.Result
	}{
		{"500 retries per schedule", &testHook, status(500), 1, delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second}, 1, webhook.ResultError},
		{"third attempt waits 30m", &testHook, status(502), 3, delivery.Outcome{Action: delivery.Retry, Delay: 30 * time.Minute}, 1, webhook.ResultError},
		{"network error retries", &testHook, func(int) (delivery.Response, error) { return delivery.Response{}, errors.New("connection reset") }, 2, delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Minute}, 1, webhook.ResultError},
		{"3xx is a failure", &testHook, status(302), 1, delivery.Outcome{Action: delivery.Retry, Delay: 5 * time.Second}, 1, webhook.ResultError},
		{"last attempt dead-letters", &testHook, status(500), 8, delivery.Outcome{Action: delivery.DeadLetter}, 1, webhook.ResultError},
		{"hook retries cap", &limited, status(500), 2, delivery.Outcome{Action: delivery.DeadLetter}, 1, webhook.ResultError},
		{"beyond hook cap: no POST", &limited, status(200), 3, delivery.Outcome{Action: delivery.DeadLetter}, 0, ""},
		{"deleted hook drops", nil, status(200), 1, delivery.Outcome{Action: delivery.Ack}, 0, ""},
		{"disabled hook drops", &disabled, status(200), 1, delivery.Outcome{Action: delivery.Ack}, 0, ""},
		{"429 honours Retry-After", &testHook, func(int) (delivery.Response, error) {
			return delivery.Response{Status: 429, RetryAfter: "120"}, nil
		}, 1, delivery.Outcome{Action: delivery.Retry, Delay: 120 * time.Second}, 1, webhook.ResultError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hooks []webhook.Hook
			if tt.hook != nil {
				hooks = append(hooks, *tt.hook)
			}
			f := newFixture(t, tt.answer, hooks...)
			got := f.svc.Deliver(context.Background(), message(tt.attempt))
			if got.Posted != (tt.posts > 0) {
				t.Errorf("Posted = %v after %d POSTs", got.Posted, tt.posts)
			}
			if got.Posted = false; got != tt.want {
				t.Errorf("outcome %+v, want %+v", got, tt.want)
			}
			if len(f.poster.requests) != tt.posts {
				t.Errorf("%d POSTs, want %d", len(f.poster.requests), tt.posts)
			}
			entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"})
			if tt.logResult == "" && len(entries) != 0 || tt.logResult != "" && (len(entries) != 1 || entries[0].Result != tt.logResult || entries[0].Error == "") {
				t.Errorf("log entries %+v, want result %q with an error", entries, tt.logResult)
			}
		})
	}
}

func TestDeliverGoneDisablesHook(t *testing.T) {
	f := newFixture(t, status(410), testHook)
	if out := f.svc.Deliver(context.Background(), message(1)); out.Action != delivery.Ack {
		t.Fatalf("outcome %+v, want Ack (no retries after 410)", out)
	}
	h, err := f.hooks.GetHook(context.Background(), "h1")
	if err != nil || h.Enabled || !strings.Contains(h.DisabledReason, "410") {
		t.Fatalf("hook after 410: %+v, %v; want disabled with a 410 reason", h, err)
	}
	// The next job for the hook is dropped without a POST.
	if out := f.svc.Deliver(context.Background(), message(1)); out.Action != delivery.Ack || len(f.poster.requests) != 1 {
		t.Errorf("after disabling: outcome %+v, %d POSTs; want Ack and no new POST", out, len(f.poster.requests))
	}
}

func TestDeliverInvalidJobDeadLetters(t *testing.T) {
	f := newFixture(t, status(200), testHook)
	m := message(1)
	m.Job.Payload = []byte(`not json`)
	if out := f.svc.Deliver(context.Background(), m); out.Action != delivery.DeadLetter || len(f.poster.requests) != 0 {
		t.Errorf("outcome %+v with %d POSTs, want DeadLetter without POST", out, len(f.poster.requests))
	}
}

// recordingRetrier records Retry calls.
type recordingRetrier struct {
	mu     sync.Mutex
	delays map[string]time.Duration
}

func (r *recordingRetrier) Retry(_ context.Context, m webhook.Message, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delays[m.Receipt] = d
	return nil
}

func TestSQSHandlerReportsOnlyFailures(t *testing.T) {
	f := newFixture(t, func(int) (delivery.Response, error) { return delivery.Response{Status: 200}, nil }, testHook)
	failing := testHook
	failing.ID, failing.URL = "h2", "https://down.example/"
	_ = f.hooks.PutHook(context.Background(), failing)
	// Route by URL: h2's receiver is down.
	f.svc = delivery.NewService(delivery.Config{
		Hooks: f.hooks, Log: f.log, Now: func() time.Time { return now }, Rand: func() float64 { return 0.5 },
		Poster: posterFunc(func(r delivery.Request) (delivery.Response, error) {
			if strings.Contains(r.URL, "down") {
				return delivery.Response{Status: 503}, nil
			}
			return delivery.Response{Status: 200}, nil
		}),
	})
	job := func(hookID string) string {
		m := message(1)
		j := webhook.NewJob(webhook.EventMessage{ID: "evt_" + hookID, Event: m.Job.Event, Payload: m.Job.Payload}, hookID)
		b, _ := json.Marshal(j)
		return string(b)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m1", ReceiptHandle: "r1", Body: job("h1"), Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
		{MessageId: "m2", ReceiptHandle: "r2", Body: job("h2"), Attributes: map[string]string{"ApproximateReceiveCount": "2"}},
		{MessageId: "m3", ReceiptHandle: "r3", Body: `garbage`, Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
		{MessageId: "m4", ReceiptHandle: "r4", Body: job("h2"), Attributes: map[string]string{"ApproximateReceiveCount": "8"}},
	}}
	rt := &recordingRetrier{delays: map[string]time.Duration{}}
	resp, err := delivery.NewSQSHandler(f.svc, rt, 4, nil).Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, it := range resp.BatchItemFailures {
		failed[it.ItemIdentifier] = true
	}
	if len(failed) != 3 || !failed["m2"] || !failed["m3"] || !failed["m4"] {
		t.Fatalf("failures %v, want m2 (retry), m3 (garbage), m4 (exhausted)", failed)
	}
	want := map[string]time.Duration{"r2": 5 * time.Minute, "r3": 0, "r4": 0}
	for r, d := range want {
		if got, ok := rt.delays[r]; !ok || got != d {
			t.Errorf("visibility for %s = %v (set: %v), want %v", r, got, ok, d)
		}
	}
	if _, ok := rt.delays["r1"]; ok {
		t.Errorf("delivered message r1 had its visibility changed")
	}
}

type posterFunc func(delivery.Request) (delivery.Response, error)

func (p posterFunc) Post(_ context.Context, r delivery.Request) (delivery.Response, error) {
	return p(r)
}

// TestWorkerEndToEnd runs the worker over the memory queue with the real sender
// and a loopback receiver that fails twice, then succeeds.
func TestWorkerEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var got []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 {
			w.WriteHeader(500)
			return
		}
		if err := signature.Verify(r.Header, body, testHook.SigningKey, time.Minute, time.Now()); err != nil {
			w.WriteHeader(401)
			return
		}
		got = append(got, r.Header.Get("webhook-id"))
	}))
	defer srv.Close()
	hooks := webhooktest.NewMemoryHookStore()
	h := testHook
	h.URL = srv.URL
	_ = hooks.PutHook(context.Background(), h)
	schedule, _ := delivery.ParseSchedule("0s,1ms,1ms,1ms")
	q := webhooktest.NewMemoryQueue(schedule.Attempts(), time.Minute)
	svc := delivery.NewService(delivery.Config{
		Hooks: hooks, Schedule: schedule, Rand: func() float64 { return 0.5 },
		Poster: delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}),
	})
	m := message(1)
	if err := q.Send(context.Background(), []webhook.Job{m.Job}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&delivery.Worker{Service: svc, Queue: q, Wait: 10 * time.Millisecond}).Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != m.Job.DeliveryID || calls != 3 {
		t.Fatalf("receiver got %v after %d calls, want the delivery on the third call", got, calls)
	}
}

// TestSQSHandlerKeepsTimeToSettle: a receiver slower than the function's
// remaining time is cut off DeadlineReserve early, and the retry delay is still set.
func TestSQSHandlerKeepsTimeToSettle(t *testing.T) {
	hooks := webhooktest.NewMemoryHookStore()
	_ = hooks.PutHook(context.Background(), testHook)
	svc := delivery.NewService(delivery.Config{Hooks: hooks, Rand: func() float64 { return 0.5 }, Poster: ctxPoster{}})
	m := message(1)
	body, _ := json.Marshal(m.Job)
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", ReceiptHandle: "r1", Body: string(body),
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}}}
	ctx, cancel := context.WithTimeout(context.Background(), delivery.DeadlineReserve+200*time.Millisecond)
	defer cancel()
	rt := &ctxRetrier{}
	start := time.Now()
	resp, _ := delivery.NewSQSHandler(svc, rt, 1, nil).Handle(ctx, ev)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Handle took %v; the POST should stop %v before the deadline", took, delivery.DeadlineReserve)
	}
	if len(resp.BatchItemFailures) != 1 || !rt.called || rt.ctxErr != nil {
		t.Errorf("failures %v, retry called %v with ctx error %v; want the delay set with time to spare", resp.BatchItemFailures, rt.called, rt.ctxErr)
	}
}

// ctxPoster blocks until its context ends, like a receiver that never answers.
type ctxPoster struct{}

func (ctxPoster) Post(ctx context.Context, _ delivery.Request) (delivery.Response, error) {
	<-ctx.Done()
	return delivery.Response{}, ctx.Err()
}

type ctxRetrier struct {
	called bool
	ctxErr error
}

func (r *ctxRetrier) Retry(ctx context.Context, _ webhook.Message, _ time.Duration) error {
	r.called, r.ctxErr = true, ctx.Err()
	return nil
}

// TestDeliverEmitsOneMetricLine: an attempt's latency and outcome counts share one
// EMF line (log ingestion is billed per byte, and each line repeats the metadata).
func TestDeliverEmitsOneMetricLine(t *testing.T) {
	hooks := webhooktest.NewMemoryHookStore()
	_ = hooks.PutHook(context.Background(), testHook)
	var out bytes.Buffer
	svc := delivery.NewService(delivery.Config{Hooks: hooks, Poster: posterFunc(func(delivery.Request) (delivery.Response, error) {
		return delivery.Response{Status: 500, Latency: time.Millisecond}, nil
	}), Metrics: metrics.New(&out, "")})
	svc.Deliver(context.Background(), message(8))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d EMF lines for one attempt, want 1:\n%s", len(lines), out.String())
	}
	for _, name := range []string{metrics.DeliveryLatency, metrics.DeliveryFailed, metrics.DeliveryDeadLettered} {
		if !strings.Contains(lines[0], `"`+name+`":`) {
			t.Errorf("line lacks %s: %s", name, lines[0])
		}
	}
}

// The SQS handler writes one EMF line per event for a whole batch, not one
// per attempt: each line is billed log ingestion.
func TestSQSHandlerEmitsOneMetricLinePerBatch(t *testing.T) {
	hooks := webhooktest.NewMemoryHookStore()
	_ = hooks.PutHook(context.Background(), testHook)
	var out bytes.Buffer
	svc := delivery.NewService(delivery.Config{Hooks: hooks, Poster: posterFunc(func(delivery.Request) (delivery.Response, error) {
		return delivery.Response{Status: 204, Latency: time.Millisecond}, nil
	}), Metrics: metrics.New(&out, "")})
	var ev events.SQSEvent
	for i := range 10 {
		m := message(1)
		j := webhook.NewJob(webhook.EventMessage{ID: fmt.Sprintf("evt_%d", i), Event: m.Job.Event, Payload: m.Job.Payload}, testHook.ID)
		b, _ := json.Marshal(j)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint(i), ReceiptHandle: fmt.Sprint(i), Body: string(b),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	if _, err := delivery.NewSQSHandler(svc, &recordingRetrier{delays: map[string]time.Duration{}}, 10, nil).Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"DeliverySucceeded":10`) {
		t.Fatalf("%d EMF lines for a batch of 10, want 1 counting 10 successes:\n%s", len(lines), out.String())
	}
}
