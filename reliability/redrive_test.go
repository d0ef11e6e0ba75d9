package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// TestOutageRedrive keeps the receiver down for a whole (short) schedule:
// every job lands in the DLQ once its schedule has run out, most of them
// without an attempt, because the circuit breaker holds a failing hook's jobs
// back instead of spending their attempts on it. Once the receiver is back and
// the circuit lets a probe through, a redrive delivers every one of them, with
// the webhook-ids they had.
func TestOutageRedrive(t *testing.T) {
	const n = 200
	schedule := mustSchedule(t, "0s,50ms,100ms")
	var up atomic.Bool
	rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Respond: func(*http.Request, []byte, int) int {
		if !up.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}})
	srv := startDev(t, devserver.Config{Schedule: schedule})
	hook := createHook(t, srv.URL, hookConfig{URL: rcv.URL + "/down"})
	rcv.SetKey(hook.SigningKey)
	want := ingestUsers(t, srv.URL, hook.ID, ids("outage", n))

	var dead []webhook.Job
	waitFor(t, 20*time.Second, func() bool { dead = deadJobs(t, srv, 0); return len(dead) == n }, func() string {
		return fmt.Sprintf("%d of %d jobs dead-lettered; receiver got %d attempts", len(dead), n, rcv.Requests())
	})
	attempts := rcv.Requests()
	if a, most := attempts, int64(n*schedule.Attempts()); a < int64(delivery.DefaultFailureThreshold) || a >= most/2 {
		t.Errorf("receiver got %d attempts before the DLQ; want at least the breaker's threshold (%d) and far fewer than %d (%d jobs x %d attempts)",
			a, delivery.DefaultFailureThreshold, most, n, schedule.Attempts())
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

	// An operator redrives once the endpoint is back; here, once the circuit
	// would let a probe through (a redriven job deferred past its 180 ms
	// schedule would be dead-lettered again).
	waitFor(t, 20*time.Second, func() bool {
		h, err := srv.DB.GetHook(context.Background(), hook.ID)
		return err == nil && h.CircuitOpenUntil < time.Now().UnixMilli()
	}, func() string { return "the circuit stayed open" })
	up.Store(true)
	start := time.Now()
	moved, err := srv.DB.Redrive(context.Background(), webhook.DeadFilter{HookID: hook.ID}, nil)
	if err != nil || moved != n {
		t.Fatalf("Redrive = %d, %v; want %d", moved, err, n)
	}
	waitFor(t, 20*time.Second, func() bool { return rcv.Has(want) }, func() string {
		return fmt.Sprintf("after the redrive, missing e.g. %v", rcv.Missing(want))
	})
	if d := deadJobs(t, srv, 0); len(d) != 0 {
		t.Errorf("%d jobs in the DLQ after the redrive delivered them all", len(d))
	}
	waitFor(t, 5*time.Second, func() bool { return queueRows(t, srv.DBPath) == 0 }, func() string {
		return fmt.Sprintf("%d jobs still queued after every one was delivered", queueRows(t, srv.DBPath))
	})
	unique, total := rcv.Counts()
	t.Logf("%d jobs: %d failed attempts (of %d without the breaker) to the DLQ, redrive delivered all %d in %s, %d duplicates",
		n, attempts, n*schedule.Attempts(), unique, time.Since(start).Round(time.Millisecond), total-unique)
}

// sameSet reports whether a and b hold the same strings, ignoring order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
