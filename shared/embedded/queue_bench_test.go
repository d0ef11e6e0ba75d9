package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// benchJobs returns n jobs with 1 KiB payloads.
func benchJobs(n int) []webhook.Job {
	pad := strings.Repeat("x", 900)
	jobs := make([]webhook.Job, n)
	for i := range jobs {
		p := json.RawMessage(fmt.Sprintf(`{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"pad":%q}}`, pad))
		jobs[i] = webhook.NewJob(webhook.EventMessage{ID: fmt.Sprintf("evt_b%08d", i), Event: webhook.UserCreated, Payload: p}, "hook1")
	}
	return jobs
}

// BenchmarkQueue measures the embedded queue's cost per job for each kind of
// write, one goroutine at a time (no group commit across callers), so the
// SQLite work per job shows.
func BenchmarkQueue(b *testing.B) {
	ctx := context.Background()
	open := func(b *testing.B) *DB {
		d, err := Open(filepath.Join(b.TempDir(), "q.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = d.Close() })
		return d
	}
	b.Run("send100", func(b *testing.B) {
		d := open(b)
		jobs := benchJobs(100)
		b.ResetTimer()
		for range b.N {
			if err := d.Send(ctx, jobs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/job")
	})
	b.Run("receive10-ack", func(b *testing.B) {
		d := open(b)
		jobs := benchJobs(100)
		for range b.N/10 + 1 {
			if err := d.Send(ctx, jobs[:10]); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i += 10 {
			msgs, err := d.Receive(ctx, 10, 0)
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range msgs {
				if err := d.Ack(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("record", func(b *testing.B) {
		d := open(b)
		body := string(benchJobs(1)[0].Body())
		for i := range b.N {
			if err := d.Record(ctx, webhook.LogEntry{HookID: "hook1", DeliveryID: fmt.Sprint(i), EventID: "e", Event: webhook.UserCreated,
				Attempt: 1, Result: webhook.ResultSuccess, Status: 204, Request: body}); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.flush(ctx); err != nil {
			b.Fatal(err)
		}
	})
}
