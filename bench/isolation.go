package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// isolationEvents is how many events each hook is sent in the isolation
// figures (the measurement: 500 each, 10 workers).
const isolationEvents = 500

// latencyReceiver records, per delivery, the time from the send stamped in the
// payload (data.sentAt, Unix ns) to its arrival. With hang set it never
// answers until released, as a dead endpoint that accepts connections.
type latencyReceiver struct {
	URL     string
	hang    chan struct{}
	srv     *http.Server
	mu      sync.Mutex
	seen    map[string]bool
	latency []time.Duration
}

func startLatencyReceiver(hang bool) (*latencyReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	r := &latencyReceiver{URL: "http://" + ln.Addr().String() + "/hook", seen: map[string]bool{}}
	if hang {
		r.hang = make(chan struct{})
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if r.hang != nil {
			select {
			case <-r.hang:
			case <-req.Context().Done():
			}
			return
		}
		at := time.Now()
		var p struct {
			Data struct{ SentAt int64 } `json:"data"`
		}
		_ = json.Unmarshal(body, &p)
		r.mu.Lock()
		if id := req.Header.Get("webhook-id"); !r.seen[id] && p.Data.SentAt > 0 {
			r.seen[id] = true
			r.latency = append(r.latency, at.Sub(time.Unix(0, p.Data.SentAt)))
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Close releases hanging requests and stops the server.
func (r *latencyReceiver) Close() error {
	if r.hang != nil {
		close(r.hang)
	}
	return r.srv.Close()
}

func (r *latencyReceiver) received() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.latency)
}

// percentile returns the p-th percentile (0-100) of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

// stampedRequest returns an ingest request of n records numbered from from,
// whose payloads carry the time the request is built (data.sentAt).
func stampedRequest(from, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"records":[`)
	now := time.Now().UnixNano()
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"event","id":"iso-%d","event":"User.Created","fields":{"data":{"sentAt":%d}}}`, i, now)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// The neighbours of the dev isolation figure: none, one that answers at once
// (the same work for the pipeline as a hanging one), one that never answers.
const (
	noNeighbour = iota
	healthyNeighbour
	hangingNeighbour
)

// devIsolationRun sends isolationEvents events to a fresh `webhooks dev` with
// the healthy hook and the given neighbour, subscribed to the same events, and
// returns the healthy hook's send→receipt latencies.
func devIsolationRun(ctx context.Context, neighbour int) ([]time.Duration, error) {
	healthy, err := startLatencyReceiver(false)
	if err != nil {
		return nil, err
	}
	defer healthy.Close()
	dir, err := os.MkdirTemp("", "webhooks-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := devserver.Open(devserver.Config{Addr: "127.0.0.1:0", DBPath: filepath.Join(dir, "dev.db"), AllowPrivate: loopback, Workers: 10})
	if err != nil {
		return nil, err
	}
	if err := srv.DB.PutHook(ctx, benchHook(healthy.URL)); err != nil {
		return nil, err
	}
	release := func() {}
	if neighbour != noNeighbour {
		hanging, err := startLatencyReceiver(neighbour == hangingNeighbour)
		if err != nil {
			return nil, err
		}
		// Released before the server stops, which waits for attempts in flight.
		release = func() { _ = hanging.Close() }
		h := benchHook(hanging.URL)
		h.ID, h.Name = "benchhanging000000001", "hanging"
		if err := srv.DB.PutHook(ctx, h); err != nil {
			return nil, err
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	defer func() {
		release()
		stop()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "bench: isolation server:", err)
		}
	}()
	// Ten events per request, paced like producers reporting as things happen.
	client := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < isolationEvents; i += 10 {
		resp, err := client.Post(srv.URL+"/events", "application/json", bytes.NewReader(stampedRequest(i, 10)))
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		msg, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return nil, fmt.Errorf("ingest: status %d: %s", resp.StatusCode, msg)
		}
		time.Sleep(2 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for len(healthy.received()) < isolationEvents {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("healthy hook got %d of %d events", len(healthy.received()), isolationEvents)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return healthy.received(), nil
}

// benchIsolation measures what a hanging neighbour costs a healthy hook:
// its p99 send→receipt beside a hook whose endpoint never answers, as a
// ratio to its p99 alone in the same run, in `webhooks dev` and through the
// delivery Lambda's handler.
func benchIsolation(ctx context.Context, o options, r *results) error {
	alone, err := devIsolationRun(ctx, noNeighbour)
	if err != nil {
		return fmt.Errorf("dev, alone: %w", err)
	}
	paired, err := devIsolationRun(ctx, healthyNeighbour)
	if err != nil {
		return fmt.Errorf("dev, beside a healthy hook: %w", err)
	}
	beside, err := devIsolationRun(ctx, hangingNeighbour)
	if err != nil {
		return fmt.Errorf("dev, beside a hanging hook: %w", err)
	}
	note := func(a, b []time.Duration) string {
		return fmt.Sprintf("%d events each; p50 %s beside, %s alone; p99 %s beside, %s alone",
			isolationEvents, ms(percentile(b, 50)), ms(percentile(a, 50)), ms(percentile(b, 99)), ms(percentile(a, 99)))
	}
	r.add(figure{Key: "isolation/dev-healthy-p99", Value: msf(percentile(beside, 99)), Unit: "ms",
		Base: msf(percentile(alone, 99)), BaseDesc: "the same hook alone", Target: atMost(3),
		Note: "webhooks dev, 10 workers, a neighbour that never answers (10 s timeout): " + note(alone, beside)})
	r.add(figure{Key: "isolation/dev-healthy-p99-vs-healthy-neighbour", Value: msf(percentile(beside, 99)), Unit: "ms",
		Base: msf(percentile(paired, 99)), BaseDesc: "beside a neighbour that answers at once", Target: atMost(3),
		Note: fmt.Sprintf("the issue's baseline: the same two hooks and the same work, the neighbour healthy "+
			"(p50 %s, p99 %s); what the hanging endpoint itself costs", ms(percentile(paired, 50)), ms(percentile(paired, 99)))})

	alone, err = handlerIsolationRun(ctx, false, false)
	if err != nil {
		return fmt.Errorf("handler, alone: %w", err)
	}
	beside, err = handlerIsolationRun(ctx, true, false)
	if err != nil {
		return fmt.Errorf("handler, beside a hanging hook: %w", err)
	}
	r.add(figure{Key: "isolation/handler-healthy-p99", Value: msf(percentile(beside, 99)), Unit: "ms",
		Base: msf(percentile(alone, 99)), BaseDesc: "the same hook alone", Target: atMost(3),
		Note: "SQSHandler, mixed batches of 10 from one queue, " + handlerIsolationShape +
			"; each main-lane instance's first batch cuts the neighbour's attempts and hands them to the slow lane: " + note(alone, beside)})
	tripped, err := handlerIsolationRun(ctx, true, true)
	if err != nil {
		return fmt.Errorf("handler, beside a tripped hook: %w", err)
	}
	r.add(figure{Key: "isolation/handler-healthy-p99-tripped", Value: msf(percentile(tripped, 99)), Unit: "ms",
		Base: msf(percentile(alone, 99)), BaseDesc: "the same hook alone", Target: atMost(3),
		Note: "the same once the neighbour's circuit is open (stored on the hook): " + note(alone, tripped)})
	return nil
}

func ms(d time.Duration) string   { return d.Round(100 * time.Microsecond).String() }
func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// handlerIsolationShape describes the handler figure's setup.
const handlerIsolationShape = "4 instances on the main lane and 4 on the slow lane (own Service each, shared hook store), neighbour timeout 10 s"

// handlerInstances and slowInstances are how many delivery Lambda instances
// the handler figure runs side by side on each lane (each event source
// mapping's MaximumConcurrency; template.yaml's default for the slow lane).
const (
	handlerInstances = 4
	slowInstances    = 4
)

// esmQueue adapts the memory queue to what SQSHandler needs, the way the SQS
// adapter does: retries hide the message; a deferral or dead-letter settles it
// here and the handler reports it done, so the "event source mapping" (the
// loop in handlerIsolationRun) must not delete it. Its records' receipts and
// ARNs carry its lane's name, so that a hand-off from the other lane (a
// receipt it does not own) becomes a copy sent to it, as SendMessage would.
type esmQueue struct {
	q       *webhooktest.MemoryQueue
	name    string
	mu      sync.Mutex
	settled map[string]bool
}

func newESMQueue(name string) *esmQueue {
	return &esmQueue{q: webhooktest.NewMemoryQueue(8, time.Minute), name: name, settled: map[string]bool{}}
}

// own strips the lane's prefix from m's receipt; ok is false for a message of
// the other lane.
func (e *esmQueue) own(m webhook.Message) (webhook.Message, bool) {
	r, ok := strings.CutPrefix(m.Receipt, e.name+"|")
	m.Receipt = r
	return m, ok
}

func (e *esmQueue) Retry(ctx context.Context, m webhook.Message, d time.Duration) error {
	m, _ = e.own(m)
	return e.q.Retry(ctx, m, d)
}

func (e *esmQueue) Requeue(ctx context.Context, m webhook.Message, d time.Duration) error {
	mine, ok := e.own(m)
	if !ok {
		j := m.Job
		j.Attempt = max(m.Attempt-1, 0)
		return e.q.Send(ctx, []webhook.Job{j})
	}
	e.mark(m.Receipt)
	return e.q.Defer(ctx, mine, d)
}

func (e *esmQueue) SendDead(ctx context.Context, m webhook.Message) error {
	e.mark(m.Receipt)
	m, _ = e.own(m)
	return e.q.DeadLetter(ctx, m)
}

func (e *esmQueue) mark(receipt string) {
	e.mu.Lock()
	e.settled[receipt] = true
	e.mu.Unlock()
}

func (e *esmQueue) take(receipt string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	ok := e.settled[receipt]
	delete(e.settled, receipt)
	return ok
}

// handlerIsolationRun queues isolationEvents jobs for the healthy hook (and,
// with neighbour, as many for a hook whose endpoint never answers, interleaved)
// and delivers them with handlerInstances SQSHandlers pulling batches of 10 as
// the event source mapping would; it returns the healthy hook's enqueue→receipt
// latencies.
func handlerIsolationRun(ctx context.Context, neighbour, tripped bool) ([]time.Duration, error) {
	healthy, err := startLatencyReceiver(false)
	if err != nil {
		return nil, err
	}
	defer healthy.Close()
	hooks := webhooktest.NewMemoryHookStore()
	if err := hooks.PutHook(ctx, benchHook(healthy.URL)); err != nil {
		return nil, err
	}
	var hanging *latencyReceiver
	if neighbour {
		if hanging, err = startLatencyReceiver(true); err != nil {
			return nil, err
		}
		h := benchHook(hanging.URL)
		h.ID, h.Name = "benchhanging000000001", "hanging"
		if tripped {
			// As another instance stores it once the endpoint has timed out.
			h.CircuitOpenUntil, h.CircuitReason = time.Now().Add(time.Minute).UnixMilli(), "2 attempts in a row timed out"
		}
		if err := hooks.PutHook(ctx, h); err != nil {
			return nil, err
		}
	}
	q, slow := newESMQueue("main"), newESMQueue("slow")
	var jobs []webhook.Job
	now := time.Now().UnixNano()
	for i := range isolationEvents {
		p := json.RawMessage(fmt.Sprintf(`{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"sentAt":%d}}`, now))
		m := webhook.EventMessage{ID: fmt.Sprintf("evt_iso%08d", i), Event: webhook.UserCreated, Payload: p}
		jobs = append(jobs, webhook.NewJob(m, benchHookID))
		if neighbour {
			jobs = append(jobs, webhook.NewJob(m, "benchhanging000000001"))
		}
	}
	if err := q.q.Send(ctx, jobs); err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Each lane's mapping runs its own instances, as template.yaml's
	// DeliveryMaxConcurrency and DeliverySlowMaxConcurrency have them.
	for i := range handlerInstances + slowInstances {
		svc := delivery.NewService(delivery.Config{Hooks: hooks, Poster: delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: loopback}})})
		h := delivery.NewSQSHandler(svc, q, concurrency, nil).WithSlowLane(slow, slow.name, 0)
		from := q
		if i >= handlerInstances {
			from = slow
		}
		wg.Go(func() { esmLoop(runCtx, from, h) })
	}
	deadline := time.Now().Add(10 * time.Minute)
	for len(healthy.received()) < isolationEvents && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if hanging != nil {
		_ = hanging.Close()
	}
	stop()
	wg.Wait()
	if n := len(healthy.received()); n < isolationEvents {
		return nil, fmt.Errorf("healthy hook got %d of %d events", n, isolationEvents)
	}
	return healthy.received(), nil
}

// esmLoop is one instance's event source mapping: receive up to 10, invoke the
// handler, delete what it reports done.
func esmLoop(ctx context.Context, q *esmQueue, h *delivery.SQSHandler) {
	for ctx.Err() == nil {
		msgs, err := q.q.Receive(ctx, 10, 50*time.Millisecond)
		if err != nil || len(msgs) == 0 {
			continue
		}
		ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
		for i, m := range msgs {
			r := q.name + "|" + m.Receipt
			ev.Records[i] = events.SQSMessage{MessageId: r, ReceiptHandle: r, Body: encodeJob(m.Job),
				EventSourceARN: "arn:aws:sqs:bench:000000000000:" + q.name,
				Attributes:     map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.Attempt)}}
		}
		resp, _ := h.Handle(context.WithoutCancel(ctx), ev)
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range msgs {
			if r := q.name + "|" + m.Receipt; !q.take(r) && !failed[r] {
				_ = q.q.Ack(ctx, m)
			}
		}
	}
}
