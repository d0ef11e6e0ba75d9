package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// TestHangingNeighbour subscribes two hooks to the same events: A's endpoint
// never answers, B's answers at once. B must get every event without waiting
// on A: all of them before A's first attempt has even timed out, where without
// per-hook isolation every worker sat on A for the whole timeout. A's jobs are
// held back, not lost and not dead-lettered.
func TestHangingNeighbour(t *testing.T) {
	const (
		n        = 200
		aTimeout = 5 * time.Second
	)
	hang := make(chan struct{})
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(a.Close)
	t.Cleanup(func() { close(hang) }) // before a.Close, which waits for handlers
	b := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{})
	srv := startDev(t, devserver.Config{Workers: 10})
	hookA := createHook(t, srv.URL, hookConfig{URL: a.URL + "/hangs", TimeoutMs: aTimeout.Milliseconds()})
	hookB := createHook(t, srv.URL, hookConfig{URL: b.URL + "/healthy"})
	b.SetKey(hookB.SigningKey)

	start := time.Now()
	records := make([]string, n)
	for i, id := range ids("neighbour", n) {
		records[i] = userRecord(id)
	}
	status, out := post(t, srv.URL+"/events", []byte(`{"records":[`+strings.Join(records, ",")+`]}`))
	var resp struct {
		Deliveries int
		Events     []struct{ ID string }
	}
	if status != http.StatusAccepted || json.Unmarshal(out, &resp) != nil || resp.Deliveries != 2*n {
		t.Fatalf("POST /events = %d %.200s; want 202 with %d deliveries", status, out, 2*n)
	}
	var want []string
	for _, e := range resp.Events {
		want = append(want, webhook.DeliveryID(e.ID, hookB.ID))
	}
	waitFor(t, 2*aTimeout, func() bool { return b.Has(want) }, func() string {
		return fmt.Sprintf("B is missing e.g. %v", b.Missing(want))
	})
	took := time.Since(start)
	t.Logf("B got all %d events %s after the first was sent, beside a hook that never answers (timeout %s)", n, took.Round(time.Millisecond), aTimeout)
	if took >= aTimeout {
		t.Errorf("B's %d events took %s; want them all before A's first attempt times out (%s)", n, took.Round(time.Millisecond), aTimeout)
	}
	if dead := deadJobs(t, srv, 0); len(dead) != 0 {
		t.Errorf("%d jobs dead-lettered; want A's jobs held back, not dead", len(dead))
	}
	log, err := srv.DB.Query(context.Background(), webhook.LogQuery{HookID: hookA.ID, Since: start.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 0 {
		t.Errorf("A has %d finished attempts already; want none before its timeout", len(log))
	}
}

// TestReceiversThatHoldOn covers receivers that answer but will not let go: a
// 2xx whose body trickles is kept as a success, cut after the body timeout
// instead of holding its worker for the whole attempt timeout; a header block
// larger than the cap fails the attempt (and is retried) instead of growing
// the process by its size.
func TestReceiversThatHoldOn(t *testing.T) {
	stop := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/trickle"):
			w.WriteHeader(http.StatusOK)
			for {
				_, _ = w.Write([]byte("."))
				w.(http.Flusher).Flush()
				select {
				case <-stop:
					return
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		case strings.HasSuffix(r.URL.Path, "/flood"):
			for i := range 400 { // 400 KiB of headers
				w.Header().Set("X-Flood-"+strconv.Itoa(i), strings.Repeat("f", 1024))
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(stop) })
	srv := startDev(t, devserver.Config{Schedule: mustSchedule(t, "0s,1h")})
	trickle := createHook(t, srv.URL, hookConfig{URL: rcv.URL + "/trickle"})
	flood := createHook(t, srv.URL, hookConfig{URL: rcv.URL + "/flood"})
	if status, out := post(t, srv.URL+"/events", []byte(`{"records":[`+userRecord("hold-on")+`]}`)); status != http.StatusAccepted {
		t.Fatalf("POST /events = %d %s", status, out)
	}
	entry := func(id string) webhook.LogEntry {
		var got []webhook.LogEntry
		waitFor(t, 20*time.Second, func() bool {
			var err error
			got, err = srv.DB.Query(context.Background(), webhook.LogQuery{HookID: id, Since: time.Now().Add(-time.Hour)})
			return err == nil && len(got) > 0
		}, func() string { return "no attempt logged for hook " + id })
		return got[0]
	}
	if e := entry(trickle.ID); e.Result != webhook.ResultSuccess || e.Status != http.StatusOK || e.LatencyMs > 5000 {
		t.Errorf("trickling 200: logged %s %d after %d ms; want a Success cut after the 1 s body timeout, not the 10 s attempt timeout", e.Result, e.Status, e.LatencyMs)
	}
	if e := entry(flood.ID); e.Result != webhook.ResultError || !strings.Contains(e.Error, "headers exceeded") {
		t.Errorf("header flood: logged %s %q; want an Error naming the header limit", e.Result, e.Error)
	}
}

// TestPermanentFailures stores hooks that can never be delivered to (an
// invalid port, a forbidden address, a header Go cannot send: as a hand-written
// DynamoDB item could hold them) and checks each job goes to the dead-letter
// queue after its first attempt, saying why, instead of being retried for a
// day.
func TestPermanentFailures(t *testing.T) {
	srv := startDev(t, devserver.Config{Schedule: mustSchedule(t, "0s,1h,1h")})
	hooks := map[string]webhook.Hook{
		"invalid port":         {URL: "http://127.0.0.1:99999/x"},
		"forbidden address":    {URL: "http://10.0.0.1/x"},
		"header Go won't send": {URL: "http://127.0.0.1:9/x", Headers: map[string]string{"X-Bad": "a\x7fb"}},
	}
	var mu sync.Mutex
	for name, h := range hooks {
		h.ID, h.Name, h.Events, h.SigningKey, h.Enabled = webhook.NewHookID(), name, []webhook.Event{webhook.UserCreated}, webhook.NewSigningKey(), true
		h.CreatedAt = time.Now().UnixMilli()
		if err := srv.DB.PutHook(context.Background(), h); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		hooks[name] = h
		mu.Unlock()
	}
	if status, out := post(t, srv.URL+"/events", []byte(`{"records":[`+userRecord("permanent")+`]}`)); status != http.StatusAccepted {
		t.Fatalf("POST /events = %d %s", status, out)
	}
	waitFor(t, 20*time.Second, func() bool { return len(deadJobs(t, srv, 0)) == len(hooks) }, func() string {
		return fmt.Sprintf("%d of %d jobs dead-lettered", len(deadJobs(t, srv, 0)), len(hooks))
	})
	for name, h := range hooks {
		log, err := srv.DB.Query(context.Background(), webhook.LogQuery{HookID: h.ID, Since: time.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || !strings.Contains(log[0].Error, "permanent") {
			t.Errorf("%s: delivery log %+v; want one attempt whose error says it is permanent", name, log)
		}
	}
}
