package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
)

// pipelineRequestSize is how many records each ingest request of the batched
// pipeline figure carries.
const pipelineRequestSize = 100

// pipelineProducers is how many producers post at once in the one-record
// figure (as the side-by-side measurement: 10 in flight).
const pipelineProducers = 10

// eventRecord returns an ingest record of type "event" whose delivery body is
// about size bytes.
func eventRecord(i, size int) string {
	const overhead = 160 // envelope, createdAt, ids and hookId of the payload
	pad := strings.Repeat("x", max(size-overhead, 0))
	return fmt.Sprintf(`{"type":"event","id":"rec-%d","event":"User.Created","fields":{"data":{"pad":%q}}}`, i, pad)
}

// ingestBodies returns the request bodies of n records, per records each.
func ingestBodies(n, per, size int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i += per {
		var b bytes.Buffer
		b.WriteString(`{"records":[`)
		for k := i; k < min(i+per, n); k++ {
			if k > i {
				b.WriteByte(',')
			}
			b.WriteString(eventRecord(k, size))
		}
		b.WriteString(`]}`)
		out = append(out, b.Bytes())
	}
	return out
}

// devRun is a `webhooks dev` (shared/devserver) on a fresh SQLite file with
// the bench hook pointing at url, running until stop.
type devRun struct {
	srv  *devserver.Server
	stop func()
}

func startDev(ctx context.Context, url string) (*devRun, error) {
	dir, err := os.MkdirTemp("", "webhooks-bench-")
	if err != nil {
		return nil, err
	}
	srv, err := devserver.Open(devserver.Config{Addr: "127.0.0.1:0", DBPath: filepath.Join(dir, "dev.db"), AllowPrivate: loopback})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := srv.DB.PutHook(ctx, benchHook(url)); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	return &devRun{srv: srv, stop: func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "bench: pipeline server:", err)
		}
		_ = os.RemoveAll(dir)
	}}, nil
}

// ingest posts one request body to the dev server's /events.
func (d *devRun) ingest(client *http.Client, body []byte) error {
	resp, err := client.Post(d.srv.URL+"/events", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("ingest: status %d: %s", resp.StatusCode, msg)
	}
	return nil
}

// benchPipeline sends events through `webhooks dev` (ingest over HTTP, the
// embedded SQLite queue, delivery workers, delivery log) to the loopback
// receiver and reports events delivered per second, end to end, as a ratio
// to the plain client POSTing the same bodies: once in requests of 100
// records from one producer, once one record per request from 10 producers.
// Then the idle latency: one event at a time on an otherwise idle server.
func benchPipeline(ctx context.Context, o options, r *results) error {
	bodies := make([][]byte, 0, 100)
	for i := range 100 {
		j := job(i, o.PayloadSize)
		bodies = append(bodies, j.Body())
	}
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	base, err := plainClient(ctx, rec.URL, bodies, concurrency, o.Duration)
	if err != nil {
		return err
	}
	n := o.PipelineEvents
	for _, per := range []int{pipelineRequestSize, 1} {
		rate, ingested, err := pipelineRun(ctx, rec, n, per, o.PayloadSize)
		if err != nil {
			return err
		}
		f := figure{Key: "pipeline/dev-end-to-end", Value: rate, Unit: "events/s", Base: base,
			Target: &target{Limit: 10000, OnValue: true},
			Note:   fmt.Sprintf("%d events in requests of %d, ingest done after %s; baseline: plain client", n, per, ingested.Round(time.Millisecond))}
		if per == 1 {
			f.Key, f.Target.Limit = "pipeline/dev-end-to-end-single", 5000
			f.Note = fmt.Sprintf("%d events, one per request from %d producers at once, ingest done after %s; baseline: plain client",
				n, pipelineProducers, ingested.Round(time.Millisecond))
		}
		r.add(f)
	}
	return benchIdleLatency(ctx, r)
}

// pipelineRun delivers n events through a fresh dev server, per records per
// request, and returns events/s from the first POST to the last delivery.
func pipelineRun(ctx context.Context, rec *receiver, n, per, size int) (float64, time.Duration, error) {
	dev, err := startDev(ctx, rec.URL)
	if err != nil {
		return 0, 0, err
	}
	defer dev.stop()
	from := rec.count.Load()
	reqs := ingestBodies(n, per, size)
	producers := 1
	if per == 1 {
		producers = pipelineProducers
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: producers}}
	start := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	for p := range producers {
		wg.Go(func() {
			for i := p; i < len(reqs); i += producers {
				if err := dev.ingest(client, reqs[i]); err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if fail != nil {
		return 0, 0, fail
	}
	ingested := time.Since(start)
	deadline := time.Now().Add(time.Duration(n)*time.Millisecond + 30*time.Second)
	for rec.count.Load()-from < int64(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return 0, 0, fmt.Errorf("only %d of %d events delivered", rec.count.Load()-from, n)
		}
		time.Sleep(time.Millisecond)
	}
	return float64(n) / time.Since(start).Seconds(), ingested, nil
}
