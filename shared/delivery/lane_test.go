package delivery_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// lanePoster answers each hook after its own delay (negative: never, until
// the request is cancelled), as a receiver over the network would.
type lanePoster struct {
	mu     sync.Mutex
	delay  map[string]time.Duration
	counts map[string]int
}

func (p *lanePoster) Post(ctx context.Context, r delivery.Request) (delivery.Response, error) {
	start := time.Now()
	p.mu.Lock()
	hook := ""
	for id := range p.delay {
		if strings.Contains(string(r.Body), `"hookId":"`+id+`"`) {
			hook = id
		}
	}
	d := p.delay[hook]
	p.counts[hook]++
	p.mu.Unlock()
	wait := make(<-chan time.Time)
	if d >= 0 {
		wait = time.After(d)
	}
	select {
	case <-wait:
		return delivery.Response{Status: 204, Latency: time.Since(start)}, nil
	case <-time.After(r.Timeout):
		return delivery.Response{Latency: time.Since(start)}, context.DeadlineExceeded
	case <-ctx.Done():
		return delivery.Response{Latency: time.Since(start)}, ctx.Err()
	}
}

func (p *lanePoster) count(hook string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[hook]
}

func (p *lanePoster) set(hook string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay[hook] = d
}

func newRequeuer() *requeuingRetrier {
	return &requeuingRetrier{recordingRetrier: recordingRetrier{delays: map[string]time.Duration{}},
		requeued: map[string]webhook.Message{}, dead: map[string]webhook.Message{}}
}

func laneRecord(arn, id, hookID string, i int) events.SQSMessage {
	b, _ := webhook.EncodeJob(messageFor(hookID, i).Job)
	return events.SQSMessage{MessageId: id, ReceiptHandle: id, Body: string(b), EventSourceARN: arn,
		Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

const (
	mainARN = "arn:aws:sqs:eu-west-1:000000000000:webhooks-delivery"
	slowARN = "arn:aws:sqs:eu-west-1:000000000000:webhooks-delivery-slow"
)

// TestSQSHandlerHandsStragglersToTheSlowLane checks the main lane's cut: a
// batch with a hook that never answers ends soon after the rest of it, not
// after the hook's timeout; the straggler's job goes to the slow queue with
// its attempt unused and nothing in the delivery log; the instance then sends
// that hook's jobs to the slow lane without trying them; and in the slow lane
// nothing is cut.
func TestSQSHandlerHandsStragglersToTheSlowLane(t *testing.T) {
	hanging := testHook
	hanging.ID, hanging.URL, hanging.TimeoutMs = "h2", "https://hangs.example/", 2000
	f := newFixture(t, status(204), testHook, hanging)
	poster := &lanePoster{delay: map[string]time.Duration{"h1": 0, "h2": -1}, counts: map[string]int{}}
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: poster, Log: f.log,
		Now: func() time.Time { return now }, Rand: func() float64 { return 0.5 }})
	main, slow := newRequeuer(), newRequeuer()
	h := delivery.NewSQSHandler(svc, main, 0, nil).WithSlowLane(slow, "webhooks-delivery-slow", 50*time.Millisecond)

	ev := events.SQSEvent{Records: []events.SQSMessage{
		laneRecord(mainARN, "m1", "h1", 1), laneRecord(mainARN, "m2", "h2", 2),
		laneRecord(mainARN, "m3", "h1", 3), laneRecord(mainARN, "m4", "h2", 4),
	}}
	start := time.Now()
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	// The hook's timeout is 2 s; the cut comes at the floor, 50 ms.
	if took := time.Since(start); took > time.Second {
		t.Errorf("the batch took %s: it waited for the hanging hook", took)
	}
	if len(resp.BatchItemFailures) != 0 || len(main.delays) != 0 || len(main.requeued) != 0 {
		t.Errorf("failures %v, retries %v, deferrals %v; want none", resp.BatchItemFailures, main.delays, main.requeued)
	}
	for _, id := range []string{"m2", "m4"} {
		if m, ok := slow.requeued[id]; !ok || m.Attempt != 1 || slow.delays[id] != 0 {
			t.Errorf("%s: in the slow queue %v, attempt %d, delay %s; want attempt 1 again, at once", id, ok, m.Attempt, slow.delays[id])
		}
	}
	entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h2"})
	if len(entries) != 0 {
		t.Errorf("the cut wrote %d delivery-log entries for h2; want none (it is not an attempt)", len(entries))
	}
	if entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"}); len(entries) != 2 {
		t.Errorf("h1 has %d delivery-log entries; want 2", len(entries))
	}

	// The instance now knows h2 is slow: no main-lane POST for it.
	posts := poster.count("h2")
	ev = events.SQSEvent{Records: []events.SQSMessage{laneRecord(mainARN, "m5", "h2", 5), laneRecord(mainARN, "m6", "h1", 6)}}
	if _, err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if poster.count("h2") != posts {
		t.Errorf("h2 got a main-lane POST after its cut")
	}
	if _, ok := slow.requeued["m5"]; !ok {
		t.Errorf("h2's next main-lane job was not handed to the slow lane")
	}

	// In the slow lane h2 may take longer than the floor, beside a quick hook.
	poster.set("h2", 200*time.Millisecond)
	ev = events.SQSEvent{Records: []events.SQSMessage{laneRecord(slowARN, "s1", "h2", 2), laneRecord(slowARN, "s2", "h1", 7)}}
	resp, err = h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	_, retried1 := slow.delays["s1"]
	_, retried2 := slow.delays["s2"]
	if len(resp.BatchItemFailures) != 0 || retried1 || retried2 {
		t.Errorf("slow lane: failures %v, retries %v; want both delivered", resp.BatchItemFailures, slow.delays)
	}
	if entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h2"}); len(entries) != 1 || entries[0].Result != webhook.ResultSuccess {
		t.Errorf("h2's delivery log after the slow lane: %+v; want one success", entries)
	}
}

// TestSQSHandlerLetsASlowBatchFinish checks that the main lane does not cut a
// batch whose attempts are all slow alike before SlowAfter: there is no quick
// attempt to measure them against, and nothing in the batch to free.
func TestSQSHandlerLetsASlowBatchFinish(t *testing.T) {
	f := newFixture(t, status(204), testHook)
	poster := &lanePoster{delay: map[string]time.Duration{"h1": 150 * time.Millisecond}, counts: map[string]int{}}
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: poster, Log: f.log, Now: func() time.Time { return now }})
	slow := newRequeuer()
	h := delivery.NewSQSHandler(svc, newRequeuer(), 0, nil).WithSlowLane(slow, "webhooks-delivery-slow", 50*time.Millisecond)
	ev := events.SQSEvent{Records: []events.SQSMessage{laneRecord(mainARN, "m1", "h1", 1), laneRecord(mainARN, "m2", "h1", 2)}}
	if _, err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(slow.requeued) != 0 {
		t.Errorf("handed %d jobs to the slow lane; want none", len(slow.requeued))
	}
	if entries, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"}); len(entries) != 2 {
		t.Errorf("%d delivery-log entries; want 2", len(entries))
	}
}
