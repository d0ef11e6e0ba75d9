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
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
)

// pipelineRequestSize is how many records each ingest request of the pipeline
// figure carries.
const pipelineRequestSize = 100

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

// benchPipeline sends events through `webhooks dev` (shared/devserver: ingest
// over HTTP, the embedded SQLite queue, delivery workers, delivery log) to the
// loopback receiver and reports events delivered per second, end to end, as a
// ratio to the plain client POSTing the same number of bodies.
func benchPipeline(ctx context.Context, o options, r *results) error {
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	dir, err := os.MkdirTemp("", "webhooks-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := devserver.Open(devserver.Config{Addr: "127.0.0.1:0", DBPath: filepath.Join(dir, "dev.db"), AllowPrivate: loopback})
	if err != nil {
		return err
	}
	if err := srv.DB.PutHook(ctx, benchHook(rec.URL)); err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "bench: pipeline server:", err)
		}
	}()

	n := o.PipelineEvents
	reqs := ingestBodies(n, pipelineRequestSize, o.PayloadSize)
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	for _, body := range reqs {
		resp, err := client.Post(srv.URL+"/events", "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		msg, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("ingest: status %d: %s", resp.StatusCode, msg)
		}
	}
	ingested := time.Since(start)
	deadline := time.Now().Add(time.Duration(n)*time.Millisecond + 30*time.Second)
	for rec.count.Load() < int64(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("only %d of %d events delivered", rec.count.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)

	bodies := make([][]byte, 0, 100)
	for i := range 100 {
		j := job(i, o.PayloadSize)
		bodies = append(bodies, j.Body())
	}
	base, err := plainClient(ctx, rec.URL, bodies, concurrency, o.Duration)
	if err != nil {
		return err
	}
	r.add(figure{Key: "pipeline/dev-end-to-end", Value: float64(n) / elapsed.Seconds(), Unit: "events/s", Base: base,
		Note: fmt.Sprintf("%d events in requests of %d, ingest done after %s; baseline: plain client", n, pipelineRequestSize, ingested.Round(time.Millisecond))})
	return nil
}
