package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// benchJob returns a job whose body (Job.Body) is exactly size bytes.
func benchJob(size int) webhook.Job {
	const head, tail = `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"pad":"`, `"}}`
	hookID := "hook1234567890abcdefg"
	bodyOverhead := len(`,"hookId":""`) + len(hookID)
	pad := max(size-len(head)-len(tail)-bodyOverhead, 0)
	payload := head + string(bytes.Repeat([]byte("x"), pad)) + tail
	return webhook.NewJob(webhook.EventMessage{ID: "evt_bench", Event: webhook.UserCreated, Payload: json.RawMessage(payload)}, hookID)
}

// BenchmarkJobBody measures building the delivery body (payload plus hookId),
// done once per attempt.
func BenchmarkJobBody(b *testing.B) {
	for _, size := range []int{1 << 10, 256 << 10} {
		j := benchJob(size)
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = j.Body()
			}
		})
	}
}

// BenchmarkJobCodec measures the queue message round trip of a 1 KiB job:
// encoding at ingest (as the SQS adapter does, without HTML escaping) and
// decoding in the SQS handler.
func BenchmarkJobCodec(b *testing.B) {
	j := benchJob(1 << 10)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(j); err != nil {
				b.Fatal(err)
			}
		}
	})
	msg, err := json.Marshal(j)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var got webhook.Job
			if err := json.Unmarshal(msg, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type nopPoster struct{}

func (nopPoster) Post(context.Context, delivery.Request) (delivery.Response, error) {
	return delivery.Response{Status: http.StatusNoContent}, nil
}

// BenchmarkDeliver measures one delivery's CPU cost outside HTTP: validating
// the job, the cached hook lookup, the body, signing, the log entry and the
// outcome, with a Poster that answers 204 at once and a memory delivery log.
func BenchmarkDeliver(b *testing.B) {
	hooks := webhooktest.NewMemoryHookStore()
	j := benchJob(1 << 10)
	if err := hooks.PutHook(b.Context(), webhook.Hook{ID: j.HookID, URL: "https://example.com/hook", Events: []webhook.Event{j.Event}, Enabled: true, SigningKey: "k2VbXcW3mH7pQ9sT1uY5zA8dF0gJ4lN6"}); err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name string
		log  webhook.DeliveryLog
	}{{"log=none", nil}, {"log=memory", webhooktest.NewMemoryDeliveryLog()}} {
		svc := delivery.NewService(delivery.Config{Hooks: hooks, Poster: nopPoster{}, Log: bb.log})
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out := svc.Deliver(b.Context(), webhook.Message{Job: j, Attempt: 1}); out.Action != delivery.Ack {
					b.Fatalf("Deliver = %+v, want Ack", out)
				}
			}
		})
	}
}

// BenchmarkPost measures POSTs of a 1 KiB body to a loopback receiver with 10
// in flight, through the delivery Sender (SSRF policy, timeouts, capped reads)
// and through a plain http.Client, so the Sender's overhead shows as a ratio.
// ns/op is wall time per POST: the inverse of throughput.
func BenchmarkPost(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	url := "http://" + ln.Addr().String() + "/hook"
	j := benchJob(1 << 10)
	body := j.Body()

	sender := delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	plain := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	posts := []struct {
		name string
		post func(ctx context.Context) error
	}{
		{"client=plain", func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := plain.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}},
		{"client=sender", func(ctx context.Context) error {
			_, err := sender.Post(ctx, delivery.Request{URL: url, Body: body, Timeout: 10 * time.Second})
			return err
		}},
	}
	for _, p := range posts {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.SetParallelism(max(1, 10/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.post(context.Background()); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
