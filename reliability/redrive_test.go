package reliability_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestOutageRedrive keeps the receiver down for a whole (short) schedule: every
// job gets each scheduled attempt and lands in the DLQ. Once the receiver is
// back, a redrive delivers every one of them, with the webhook-ids they had.
func TestOutageRedrive(t *testing.T) {
	const n = 200
	schedule := mustSchedule(t, "0s,50ms,100ms")
	var up atomic.Bool
	var attempts atomic.Int64
	got := newTally()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		attempts.Add(1)
		if !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got.add(r.Header.Get(signature.HeaderID))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rcv.Close)
	srv := startDev(t, devserver.Config{Schedule: schedule})
	hook := createHook(t, srv.URL, hookConfig{URL: rcv.URL + "/down"})
	want := ingestUsers(t, srv.URL, hook.ID, ids("outage", n))

	var dead []webhook.Job
	waitFor(t, 20*time.Second, func() bool { dead = deadJobs(t, srv, 0); return len(dead) == n }, func() string {
		return fmt.Sprintf("%d of %d jobs dead-lettered; receiver got %d attempts", len(dead), n, attempts.Load())
	})
	if a, w := attempts.Load(), int64(n*schedule.Attempts()); a != w {
		t.Errorf("receiver got %d attempts before the DLQ; want %d (%d jobs x %d attempts)", a, w, n, schedule.Attempts())
	}
	if rows := queueRows(t, srv.DBPath); rows != n {
		t.Errorf("queue tables hold %d jobs; want the %d dead ones only", rows, n)
	}
	var deadIDs []string
	for _, j := range dead {
		deadIDs = append(deadIDs, j.DeliveryID)
	}
	if !sameSet(deadIDs, want) {
		t.Errorf("dead-lettered webhook-ids differ from the accepted ones")
	}

	up.Store(true)
	start := time.Now()
	moved, err := srv.DB.Redrive(context.Background(), webhook.DeadFilter{HookID: hook.ID}, nil)
	if err != nil || moved != n {
		t.Fatalf("Redrive = %d, %v; want %d", moved, err, n)
	}
	waitFor(t, 20*time.Second, func() bool { return got.has(want) }, func() string {
		return fmt.Sprintf("after the redrive, missing e.g. %v", got.missing(want))
	})
	if d := deadJobs(t, srv, 0); len(d) != 0 {
		t.Errorf("%d jobs in the DLQ after the redrive delivered them all", len(d))
	}
	waitFor(t, 5*time.Second, func() bool { return queueRows(t, srv.DBPath) == 0 }, func() string {
		return fmt.Sprintf("%d jobs still queued after every one was delivered", queueRows(t, srv.DBPath))
	})
	unique, total := got.counts()
	t.Logf("%d jobs: %d failed attempts to the DLQ, redrive delivered all %d in %s, %d duplicates",
		n, n*schedule.Attempts(), unique, time.Since(start).Round(time.Millisecond), total-unique)
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
