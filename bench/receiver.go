package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// receiver is the loopback webhook endpoint of every throughput figure: it reads
// the whole body and answers 204, the cheapest correct receiver, so the figures
// measure the sender side.
type receiver struct {
	URL   string
	count atomic.Int64
	srv   *http.Server
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("receiver: %w", err)
	}
	r := &receiver{URL: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) Close() error { return r.srv.Close() }

// benchHookID is the id of the hook every figure delivers to.
const benchHookID = "benchhook000000000001"

// benchKey is the hook's signing key (a fixed fake).
const benchKey = "k2VbXcW3mH7pQ9sT1uY5zA8dF0gJ4lN6"

// benchHook returns the hook pointing at url.
func benchHook(url string) webhook.Hook {
	return webhook.Hook{ID: benchHookID, Name: "bench", URL: url, Events: []webhook.Event{webhook.UserCreated},
		Enabled: true, SigningKey: benchKey, CreatedAt: 1}
}

// payload returns a User.Created payload (without hookId) whose delivery body
// (webhook.Job.Body for benchHookID) is exactly size bytes.
func payload(size int) json.RawMessage {
	const head, tail = `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","data":{"pad":"`, `"}}`
	overhead := len(head) + len(tail) + len(`,"hookId":""`) + len(benchHookID)
	return json.RawMessage(head + string(bytes.Repeat([]byte("x"), max(size-overhead, 0))) + tail)
}

// job returns the i-th benchmark job with a payload of the given body size.
func job(i, size int) webhook.Job {
	return webhook.NewJob(webhook.EventMessage{ID: fmt.Sprintf("evt_bench%08d", i), Event: webhook.UserCreated, Payload: payload(size)}, benchHookID)
}

// encodeJob marshals j as the queues do (webhook.EncodeJob).
func encodeJob(j webhook.Job) string {
	b, _ := webhook.EncodeJob(j) // a Job always encodes
	return string(b)
}
