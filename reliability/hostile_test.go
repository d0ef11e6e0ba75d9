package reliability_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// outcome is what a hostile receiver case left behind once its jobs settled.
type outcome struct {
	hook     webhook.Hook
	requests []time.Time        // when each POST arrived, in order
	log      []webhook.LogEntry // oldest attempt first
	dead     []webhook.Job
}

// TestHostileReceivers delivers to receivers that misbehave on purpose and
// checks what the delivery log and the queue say: a timeout and a reset are
// logged as errors with no status and retried; a 410 disables the hook, with no
// retry and no further POST; a 429 with Retry-After: 1 delays the next attempt
// by at least that second.
func TestHostileReceivers(t *testing.T) {
	tests := []struct {
		name      string
		timeoutMs int64
		schedule  string
		// serve answers the n-th request (from 1) the receiver gets.
		serve func(w http.ResponseWriter, r *http.Request, n int)
		// again posts a second event once the first has settled.
		again bool
		check func(t *testing.T, o outcome)
	}{
		{
			name: "hangs past the timeout", timeoutMs: 200, schedule: "0s,100ms,100ms",
			serve: func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					select { // until the sender gives up (or the test does)
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				w.WriteHeader(http.StatusNoContent)
			},
			check: func(t *testing.T, o outcome) {
				wantAttempts(t, o, 2)
				first := o.log[0]
				if first.Result != webhook.ResultError || first.Status != 0 || !strings.Contains(first.Error, "no response within 200ms") {
					t.Errorf("attempt 1 logged %s status %d error %q; want an Error with no status, naming the 200ms timeout", first.Result, first.Status, first.Error)
				}
				if first.LatencyMs < 200 || first.LatencyMs > 1000 {
					t.Errorf("attempt 1 latency %d ms; want the 200 ms timeout", first.LatencyMs)
				}
				wantSuccess(t, o.log[1])
			},
		},
		{
			name: "resets the connection", schedule: "0s,100ms,100ms,100ms",
			serve: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 2 {
					reset(t, w)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			},
			check: func(t *testing.T, o outcome) {
				wantAttempts(t, o, 3)
				for _, e := range o.log[:2] {
					if e.Result != webhook.ResultError || e.Status != 0 || e.Error == "" {
						t.Errorf("attempt %d logged %s status %d error %q; want an Error with no status and a message", e.Attempt, e.Result, e.Status, e.Error)
					}
				}
				t.Logf("a reset is logged as %q", o.log[0].Error)
				wantSuccess(t, o.log[2])
			},
		},
		{
			name: "answers 410 Gone", schedule: "0s,100ms,100ms", again: true,
			serve: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(http.StatusGone)
			},
			check: func(t *testing.T, o outcome) {
				wantAttempts(t, o, 1)
				if e := o.log[0]; e.Result != webhook.ResultError || e.Status != http.StatusGone {
					t.Errorf("attempt logged %s status %d; want an Error with status 410", e.Result, e.Status)
				}
				if o.hook.Enabled || !strings.Contains(o.hook.DisabledReason, "410") {
					t.Errorf("hook enabled=%t reason %q; want disabled for the 410", o.hook.Enabled, o.hook.DisabledReason)
				}
			},
		},
		{
			name: "answers 429 with Retry-After: 1", schedule: "0s,50ms,50ms",
			serve: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			},
			check: func(t *testing.T, o outcome) {
				wantAttempts(t, o, 2)
				if e := o.log[0]; e.Result != webhook.ResultError || e.Status != http.StatusTooManyRequests {
					t.Errorf("attempt 1 logged %s status %d; want an Error with status 429", e.Result, e.Status)
				}
				wantSuccess(t, o.log[1])
				// The schedule says 50 ms; Retry-After may only postpone it.
				if gap := o.requests[1].Sub(o.requests[0]); gap < 950*time.Millisecond || gap > 3*time.Second {
					t.Errorf("second attempt came %s after the 429; want about 1s", gap.Round(time.Millisecond))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var requests []time.Time
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Reading the body lets the server notice a sender that gave
				// up: it cancels r.Context() only once the body is consumed.
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				requests = append(requests, time.Now())
				n := len(requests)
				mu.Unlock()
				tt.serve(w, r, n)
			}))
			t.Cleanup(rcv.Close)
			srv := startDev(t, devserver.Config{Schedule: mustSchedule(t, tt.schedule)})
			created := createHook(t, srv.URL, hookConfig{URL: rcv.URL + "/hostile", TimeoutMs: tt.timeoutMs})

			posts := []string{"hostile-1"}
			if tt.again {
				posts = append(posts, "hostile-2")
			}
			for _, id := range posts {
				// After a 410 the hook may or may not still be listed by
				// ingest's hook cache: either way no POST may follow.
				if status, out := post(t, srv.URL+"/events", []byte(`{"records":[`+userRecord(id)+`]}`)); status != http.StatusAccepted {
					t.Fatalf("POST /events = %d %s; want 202", status, out)
				}
				waitFor(t, 10*time.Second, func() bool { return queueRows(t, srv.DBPath) == 0 }, func() string {
					return fmt.Sprintf("job of %s still queued", id)
				})
			}

			ctx := context.Background()
			o := outcome{dead: deadJobs(t, srv, 0)}
			var err error
			if o.hook, err = srv.DB.GetHook(ctx, created.ID); err != nil {
				t.Fatal(err)
			}
			if o.log, err = srv.DB.Query(ctx, webhook.LogQuery{HookID: created.ID, Since: time.Now().Add(-time.Hour)}); err != nil {
				t.Fatal(err)
			}
			slices.Reverse(o.log)
			mu.Lock()
			o.requests = slices.Clone(requests)
			mu.Unlock()
			if len(o.dead) != 0 {
				t.Errorf("%d jobs dead-lettered; want none", len(o.dead))
			}
			tt.check(t, o)
		})
	}
}

// wantAttempts checks that the log holds n attempts numbered 1..n and that
// the receiver saw exactly those n requests (no hidden transport retry).
func wantAttempts(t *testing.T, o outcome, n int) {
	t.Helper()
	if len(o.log) != n || len(o.requests) != n {
		t.Fatalf("log holds %d attempts, receiver got %d requests; want %d of each: %+v", len(o.log), len(o.requests), n, o.log)
	}
	for i, e := range o.log {
		if e.Attempt != i+1 {
			t.Errorf("log entry %d is attempt %d; want %d", i, e.Attempt, i+1)
		}
	}
}

func wantSuccess(t *testing.T, e webhook.LogEntry) {
	t.Helper()
	if e.Result != webhook.ResultSuccess || e.Status != http.StatusNoContent {
		t.Errorf("attempt %d logged %s status %d (%s); want Success with 204", e.Attempt, e.Result, e.Status, e.Error)
	}
}

// reset aborts the exchange: it takes over the connection and closes it with
// SO_LINGER 0, so the sender gets a TCP RST instead of a response.
func reset(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
