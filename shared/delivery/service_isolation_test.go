package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestDeliverDefersPastTheHookLimit holds attempts at one hook open and checks
// that the hook's further jobs are deferred (no POST, no attempt used), while
// another hook's jobs still go out.
func TestDeliverDefersPastTheHookLimit(t *testing.T) {
	release := make(chan struct{})
	var posted sync.WaitGroup
	other := testHook
	other.ID = "h2"
	f := newFixture(t, status(204), testHook, other)
	blocking := &blockingPoster{hold: "h1", release: release, posted: &posted}
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: blocking, Now: func() time.Time { return now }, Rand: func() float64 { return 0 }})

	posted.Add(delivery.DefaultInitialInFlight)
	done := make(chan delivery.Outcome, delivery.DefaultInitialInFlight)
	for i := range delivery.DefaultInitialInFlight {
		go func() { done <- svc.Deliver(context.Background(), messageFor("h1", i)) }()
	}
	posted.Wait()
	out := svc.Deliver(context.Background(), messageFor("h1", 99))
	if out.Action != delivery.Defer || out.Delay <= 0 {
		t.Errorf("job beyond h1's limit: %+v; want Defer with a delay", out)
	}
	if out := svc.Deliver(context.Background(), messageFor("h2", 1)); out.Action != delivery.Ack {
		t.Errorf("h2's job while h1 is at its limit: %+v; want Ack", out)
	}
	close(release)
	for range delivery.DefaultInitialInFlight {
		if out := <-done; out.Action != delivery.Ack {
			t.Errorf("held attempt: %+v; want Ack", out)
		}
	}
	if got := blocking.count("h1"); got != delivery.DefaultInitialInFlight {
		t.Errorf("h1 got %d POSTs; want %d (the deferred job is not sent)", got, delivery.DefaultInitialInFlight)
	}
}

// TestDeliverOpensTheCircuit fails a hook's attempts until its circuit opens
// and checks what the operator sees: the stored state, the delivery log, a log
// line; then that its jobs are deferred without a POST until a probe succeeds.
func TestDeliverOpensTheCircuit(t *testing.T) {
	failing := true
	f := newFixture(t, func(int) (delivery.Response, error) {
		if failing {
			return delivery.Response{Latency: time.Millisecond}, errors.New("post to host receiver.example: connection refused")
		}
		return delivery.Response{Status: 204}, nil
	}, testHook)
	for i := range delivery.DefaultFailureThreshold {
		if out := f.svc.Deliver(context.Background(), messageFor("h1", i)); out.Action != delivery.Retry {
			t.Fatalf("failure %d: %+v; want Retry", i+1, out)
		}
	}
	// The circuit opens for the schedule's first retry delay (5 s) at first.
	openFor := delivery.DefaultSchedule[1]
	h, _ := f.hooks.GetHook(context.Background(), "h1")
	if want := now.Add(openFor).UnixMilli(); h.CircuitOpenUntil != want || !strings.Contains(h.CircuitReason, "5 failed attempts in a row") {
		t.Errorf("stored circuit = %d %q; want open until %d, naming the failures", h.CircuitOpenUntil, h.CircuitReason, want)
	}
	entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"})
	opened := 0
	for _, e := range entries {
		if strings.Contains(e.Error, "circuit opened: 5 failed attempts in a row") {
			opened++
		}
	}
	if opened != 1 {
		t.Errorf("%d delivery-log entries say the circuit opened; want 1 (the 5th failure's): %+v", opened, entries)
	}
	if !strings.Contains(f.logs.String(), "circuit opened") {
		t.Errorf("no log line says the circuit opened:\n%s", f.logs)
	}
	posts := len(f.poster.requests)
	out := f.svc.Deliver(context.Background(), messageFor("h1", 50))
	if out.Action != delivery.Defer || out.Delay < openFor {
		t.Errorf("job while open: %+v; want Defer for at least %s", out, openFor)
	}
	if len(f.poster.requests) != posts {
		t.Errorf("a job was POSTed while the circuit was open")
	}

	// After OpenFor a probe goes out; its success closes the circuit.
	failing = false
	later := now.Add(openFor + time.Second)
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: f.poster, Now: func() time.Time { return later }})
	if out := svc.Deliver(context.Background(), messageFor("h1", 51)); out.Action != delivery.Ack {
		t.Fatalf("probe: %+v; want Ack", out)
	}
	if h, _ := f.hooks.GetHook(context.Background(), "h1"); h.CircuitOpenUntil != 0 || h.CircuitReason != "" {
		t.Errorf("after a successful probe the stored circuit is %d %q; want closed", h.CircuitOpenUntil, h.CircuitReason)
	}
}

// TestDeliverPermanentErrors checks that attempts that can never succeed go
// to the dead-letter queue at once, saying so in the delivery log, and that a
// 3xx is logged as a redirect that is not followed.
func TestDeliverPermanentErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		status  int
		want    delivery.Action
		wantLog string
	}{
		{"forbidden destination", fmt.Errorf("post to host x refused: %w", delivery.ErrForbiddenDestination), 0, delivery.DeadLetter, "permanent"},
		{"invalid URL", fmt.Errorf("%w: port \"99999\" is not 1-65535", delivery.ErrInvalidURL), 0, delivery.DeadLetter, "permanent"},
		{"invalid header", fmt.Errorf("%w: \"bad header\" is not a valid header name", delivery.ErrInvalidHeader), 0, delivery.DeadLetter, "permanent"},
		{"reset", errors.New("post to host x: connection reset by peer"), 0, delivery.Retry, "connection reset"},
		{"redirect", nil, http.StatusFound, delivery.Retry, "302 Found: redirects are not followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(int) (delivery.Response, error) {
				return delivery.Response{Status: tt.status}, tt.err
			}, testHook)
			if out := f.svc.Deliver(context.Background(), message(1)); out.Action != tt.want {
				t.Errorf("outcome %+v; want action %d", out, tt.want)
			}
			entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"})
			if len(entries) != 1 || !strings.Contains(entries[0].Error, tt.wantLog) {
				t.Errorf("delivery log %+v; want one entry whose error says %q", entries, tt.wantLog)
			}
		})
	}
}

func messageFor(hookID string, i int) webhook.Message {
	m := webhook.EventMessage{ID: fmt.Sprintf("evt_%d", i), Event: webhook.UserCreated, Payload: []byte(`{"event":"User.Created"}`)}
	return webhook.Message{Job: webhook.NewJob(m, hookID), Receipt: "r", Attempt: 1}
}

// blockingPoster holds POSTs whose body names hook hold until release closes.
type blockingPoster struct {
	hold    string
	release chan struct{}
	posted  *sync.WaitGroup
	mu      sync.Mutex
	counts  map[string]int
}

func (p *blockingPoster) Post(_ context.Context, r delivery.Request) (delivery.Response, error) {
	hook := "h2"
	if strings.Contains(string(r.Body), `"hookId":"`+p.hold+`"`) {
		hook = p.hold
	}
	p.mu.Lock()
	if p.counts == nil {
		p.counts = map[string]int{}
	}
	p.counts[hook]++
	p.mu.Unlock()
	if hook == p.hold {
		p.posted.Done()
		<-p.release
	}
	return delivery.Response{Status: 204, Latency: time.Millisecond}, nil
}

func (p *blockingPoster) count(hook string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[hook]
}

// TestDeliverDeadLettersAJobHeldBackTooLong checks the bound on deferrals: a
// job held back by an open circuit for longer than its retry schedule goes to
// the dead-letter queue, and a younger one is deferred no later than that.
func TestDeliverDeadLettersAJobHeldBackTooLong(t *testing.T) {
	open := testHook
	open.CircuitOpenUntil, open.CircuitReason = now.Add(time.Hour).UnixMilli(), "down"
	f := newFixture(t, status(204), open)
	life := time.Duration(float64(delivery.DefaultSchedule.Total()) * (1 + delivery.Jitter))
	tests := []struct {
		name     string
		queuedAt time.Time
		want     delivery.Outcome
	}{
		{"queued longer ago than the schedule", now.Add(-life - time.Second), delivery.Outcome{Action: delivery.DeadLetter}},
		{"due within the circuit's hour", now.Add(-life + time.Minute), delivery.Outcome{Action: delivery.Defer, Delay: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message(1)
			m.Job.QueuedAt = tt.queuedAt.UnixMilli()
			if out := f.svc.Deliver(context.Background(), m); out != tt.want {
				t.Errorf("outcome %+v; want %+v", out, tt.want)
			}
		})
	}
	if len(f.poster.requests) != 0 {
		t.Errorf("%d POSTs while the circuit was open; want none", len(f.poster.requests))
	}
}

// requeuingRetrier is a Retrier that is also a Requeuer, as the SQS adapter is.
type requeuingRetrier struct {
	recordingRetrier
	requeued map[string]webhook.Message
	dead     map[string]webhook.Message
}

func (r *requeuingRetrier) Requeue(_ context.Context, m webhook.Message, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requeued[m.Receipt] = m
	r.delays[m.Receipt] = d
	return nil
}

func (r *requeuingRetrier) SendDead(_ context.Context, m webhook.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead[m.Receipt] = m
	return nil
}

// TestSQSHandlerDefersAndDeadLettersByCopy checks the Lambda's side of
// deferral: a job held back by an open circuit is re-sent carrying its
// attempts and reported done (so SQS deletes the original and its receive
// count does not grow), and a job that used its attempts is sent to the DLQ
// and reported done.
func TestSQSHandlerDefersAndDeadLettersByCopy(t *testing.T) {
	open := testHook
	open.CircuitOpenUntil, open.CircuitReason = now.Add(time.Minute).UnixMilli(), "down"
	down := testHook
	down.ID, down.URL = "h2", "https://down.example/"
	f := newFixture(t, status(503), open, down)
	body := func(hookID string, attempts int) string {
		j := messageFor(hookID, 1).Job
		j.Attempt = attempts
		b, _ := webhook.EncodeJob(j)
		return string(b)
	}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		// Deferred twice before: its copy carries 2 attempts, this is the 3rd.
		{MessageId: "m1", ReceiptHandle: "r1", Body: body("h1", 2), Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
		// 7 attempts carried + receive 1 = the schedule's 8th and last.
		{MessageId: "m2", ReceiptHandle: "r2", Body: body("h2", 7), Attributes: map[string]string{"ApproximateReceiveCount": "1"}},
	}}
	rt := &requeuingRetrier{recordingRetrier: recordingRetrier{delays: map[string]time.Duration{}},
		requeued: map[string]webhook.Message{}, dead: map[string]webhook.Message{}}
	resp, err := delivery.NewSQSHandler(f.svc, rt, 4, nil).Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %v; want none: both settled by copies", resp.BatchItemFailures)
	}
	if m, ok := rt.requeued["r1"]; !ok || m.Attempt != 3 || rt.delays["r1"] < time.Minute {
		t.Errorf("deferred job: requeued %v (attempt %d, delay %s); want attempt 3 requeued for the circuit's minute", ok, m.Attempt, rt.delays["r1"])
	}
	if m, ok := rt.dead["r2"]; !ok || m.Attempt != 8 {
		t.Errorf("exhausted job: sent to the DLQ %v (attempt %d); want attempt 8", ok, m.Attempt)
	}
}
