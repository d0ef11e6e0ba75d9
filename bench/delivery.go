package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// loopback is the allow-list that lets the SSRF-safe sender reach the receiver.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// batchSize and concurrency are the Lambda's: the event source mapping's batch
// of 10 and BATCH_CONCURRENCY's default.
const (
	batchSize   = 10
	concurrency = 10
)

// plainClient is the baseline: a plain http.Client (idle pool sized for the
// concurrency, as anyone tuning it would) POSTing body with n goroutines
// until d has passed. It returns POSTs per second.
func plainClient(ctx context.Context, url string, bodies [][]byte, n int, d time.Duration) (float64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			for i := g; time.Now().Before(deadline); i += n {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					var resp *http.Response
					if resp, err = client.Do(req); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						_ = resp.Body.Close()
						if resp.StatusCode != http.StatusNoContent {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("plain client: %w", firstErr)
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// plainBatched is the plain client shaped like the handler: batchSize POSTs in
// parallel, then wait for all of them, then the next batch. Its gap to
// plainClient is the cost of the Lambda's batch barrier alone.
func plainBatched(ctx context.Context, url string, bodies [][]byte, d time.Duration) (float64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: batchSize}}
	defer client.CloseIdleConnections()
	post := func(body []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	deadline := time.Now().Add(d)
	start := time.Now()
	n := 0
	for i := 0; time.Now().Before(deadline); i++ {
		errs := make([]error, batchSize)
		var wg sync.WaitGroup
		for k := range batchSize {
			wg.Go(func() { errs[k] = post(bodies[(i*batchSize+k)%len(bodies)]) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return 0, fmt.Errorf("plain client in batches: %w", err)
			}
		}
		n += batchSize
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// sqsBatches returns nBatches SQS events of batchSize jobs each, as the event
// source mapping hands them to the delivery Lambda.
func sqsBatches(nBatches, size int) []events.SQSEvent {
	out := make([]events.SQSEvent, nBatches)
	for b := range out {
		recs := make([]events.SQSMessage, batchSize)
		for k := range recs {
			i := b*batchSize + k
			recs[k] = events.SQSMessage{
				MessageId:     "m" + strconv.Itoa(i),
				ReceiptHandle: "r" + strconv.Itoa(i),
				Body:          encodeJob(job(i, size)),
				Attributes:    map[string]string{"ApproximateReceiveCount": "1"},
			}
		}
		out[b] = events.SQSEvent{Records: recs}
	}
	return out
}

// handlerRun drives SQSHandler.Handle in-process, one batch after another as a
// single Lambda instance does, until d has passed. It returns deliveries per
// second and fails if any delivery failed.
func handlerRun(ctx context.Context, h *delivery.SQSHandler, batches []events.SQSEvent, d time.Duration) (float64, error) {
	deadline := time.Now().Add(d)
	start := time.Now()
	n := 0
	for i := 0; time.Now().Before(deadline); i++ {
		resp, err := h.Handle(ctx, batches[i%len(batches)])
		if err != nil {
			return 0, fmt.Errorf("handle: %w", err)
		}
		if len(resp.BatchItemFailures) > 0 {
			return 0, fmt.Errorf("handle: %d deliveries failed", len(resp.BatchItemFailures))
		}
		n += batchSize
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// instantPoster answers 204 at once: with it the handler's throughput is its
// own CPU ceiling, without HTTP.
type instantPoster struct{}

func (instantPoster) Post(context.Context, delivery.Request) (delivery.Response, error) {
	return delivery.Response{Status: http.StatusNoContent}, nil
}

// newHandler returns the delivery Lambda's handler with memory hooks, the given
// delivery log and the real sender (or poster, when not nil).
func newHandler(ctx context.Context, url string, log webhook.DeliveryLog, poster delivery.Poster) (*delivery.SQSHandler, error) {
	hooks := webhooktest.NewMemoryHookStore()
	if err := hooks.PutHook(ctx, benchHook(url)); err != nil {
		return nil, err
	}
	if poster == nil {
		poster = delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: loopback}})
	}
	svc := delivery.NewService(delivery.Config{
		Hooks:  hooks,
		Log:    log,
		Poster: poster,
	})
	// Every delivery succeeds, so the queue is never asked to retry.
	return delivery.NewSQSHandler(svc, webhooktest.NewMemoryQueue(8, time.Minute), concurrency, nil), nil
}

// benchDelivery measures one delivery worker (the Lambda handler, batches of
// 10) against the plain client, alternating rounds so drift hits both alike.
func benchDelivery(ctx context.Context, o options, r *results) error {
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	batches := sqsBatches(200, o.PayloadSize)
	bodies := make([][]byte, 0, len(batches)*batchSize)
	for i := range len(batches) * batchSize {
		j := job(i, o.PayloadSize)
		bodies = append(bodies, j.Body())
	}
	if len(bodies[0]) != o.PayloadSize {
		return fmt.Errorf("body is %d bytes, want %d", len(bodies[0]), o.PayloadSize)
	}
	memHandler, err := newHandler(ctx, rec.URL, webhooktest.NewMemoryDeliveryLog(), nil)
	if err != nil {
		return err
	}
	cpuHandler, err := newHandler(ctx, rec.URL, webhooktest.NewMemoryDeliveryLog(), instantPoster{})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "webhooks-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := embedded.Open(filepath.Join(dir, "log.db"), embedded.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	sqliteHandler, err := newHandler(ctx, rec.URL, db, nil)
	if err != nil {
		return err
	}

	var base, barrier, mem, lite, cpu []float64
	for range o.Rounds {
		v, err := plainClient(ctx, rec.URL, bodies, concurrency, o.Duration)
		if err != nil {
			return err
		}
		base = append(base, v)
		if v, err = plainBatched(ctx, rec.URL, bodies, o.Duration); err != nil {
			return err
		}
		barrier = append(barrier, v)
		if v, err = handlerRun(ctx, memHandler, batches, o.Duration); err != nil {
			return err
		}
		mem = append(mem, v)
		if v, err = handlerRun(ctx, sqliteHandler, batches, o.Duration); err != nil {
			return err
		}
		lite = append(lite, v)
		if v, err = handlerRun(ctx, cpuHandler, batches, o.Duration/2); err != nil {
			return err
		}
		cpu = append(cpu, v)
	}
	b := mean(base)
	r.add(figure{Key: "delivery/plain-client", Value: b, Unit: "POST/s", Note: fmt.Sprintf("%d B bodies, %d in flight", o.PayloadSize, concurrency)})
	r.add(figure{Key: "delivery/plain-client-batched", Value: mean(barrier), Unit: "POST/s", Base: b,
		Note: "plain client, 10 at a time, waiting for each batch: the batch barrier alone"})
	r.add(figure{Key: "delivery/handler-memlog", Value: mean(mem), Unit: "POST/s", Base: b, Target: atLeast(0.8),
		Note: "SQSHandler.Handle, batches of 10, memory hooks and log"})
	r.add(figure{Key: "delivery/handler-no-http", Value: mean(cpu), Unit: "jobs/s", Base: b,
		Note: "same handler with a Poster that answers 204 at once: its own CPU ceiling, receiver idle"})
	r.add(figure{Key: "delivery/handler-sqlitelog", Value: mean(lite), Unit: "POST/s", Base: b,
		Note: "same, delivery log in the embedded SQLite backend"})
	return nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
