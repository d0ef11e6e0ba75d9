package reliability_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// Burst parameters. burstEvents takes about 12 s on two cores (some 850
// deliveries/s); WEBHOOKS_SOAK=1 raises it tenfold, WEBHOOKS_BURST_EVENTS sets it.
const (
	burstEvents     = 10000
	soakBurstEvents = 100000
	failRate        = 0.3
	burstSeed       = 6
	// burstSchedule has 25 attempts: an event whose every attempt fails has
	// probability 0.3^25 ≈ 8.5e-14, so 10,000 events lose none with odds of
	// about 1 in 10^9 even before the seed makes the run reproducible.
	burstSchedule = "0s,50ms,100ms" + ",200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms" +
		",200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms"
)

// flaky decides, reproducibly, whether the receiver fails the n-th request it
// gets for a webhook-id: a seeded hash of both, below rate. Deciding per
// (id, n) rather than from one random stream keeps the run reproducible however
// the concurrent deliveries interleave.
func flaky(seed uint64, id string, n int, rate float64) bool {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(n))
	_, _ = h.Write(b[:])
	_, _ = io.WriteString(h, id)
	return float64(h.Sum64()>>11)/(1<<53) < rate
}

// TestBurst sends a burst of User.Created events through the dev pipeline to a
// receiver that fails 30 % of requests with a 500: every event is delivered
// (counted by unique webhook-id), both signatures verify on every request, and
// the queue ends empty. Duplicates are allowed (at-least-once) and logged.
func TestBurst(t *testing.T) {
	n := burstEvents
	if soak() {
		n = soakBurstEvents
	}
	n = envInt(t, "WEBHOOKS_BURST_EVENTS", n)

	var failed atomic.Int64
	rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{
		Tolerance: devserver.DemoTolerance,
		Respond: func(r *http.Request, _ []byte, attempt int) int {
			if flaky(burstSeed, r.Header.Get(signature.HeaderID), attempt, failRate) {
				failed.Add(1)
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		},
	})

	srv := startDev(t, devserver.Config{Schedule: mustSchedule(t, burstSchedule), Workers: 20})
	// A fixed hook id makes the webhook-ids, and with the seed the receiver's
	// failures, the same on every run.
	hook := webhook.Hook{ID: "burst", Name: "burst", Events: []webhook.Event{webhook.UserCreated},
		URL: rcv.URL + "/burst", SigningKey: webhook.NewSigningKey(), Enabled: true, CreatedAt: time.Now().UnixMilli()}
	if err := srv.DB.PutHook(context.Background(), hook); err != nil {
		t.Fatal(err)
	}
	rcv.SetKey(hook.SigningKey)

	start := time.Now()
	want := ingestUsers(t, srv.URL, hook.ID, ids("burst", n))
	ingested := time.Since(start)
	waitFor(t, 30*time.Second+time.Duration(n)*5*time.Millisecond, func() bool {
		u, _ := rcv.Counts()
		bad, _ := rcv.BadSignatures()
		return u >= n || bad > 0 || len(deadJobs(t, srv, 1)) > 0
	}, func() string {
		u, _ := rcv.Counts()
		return fmt.Sprintf("delivered %d of %d events; missing e.g. %v", u, n, rcv.Missing(want))
	})
	elapsed := time.Since(start)

	if b, first := rcv.BadSignatures(); b > 0 {
		t.Fatalf("%d requests failed signature verification, first %v", b, first)
	}
	if dead := deadJobs(t, srv, 0); len(dead) > 0 {
		t.Fatalf("%d jobs dead-lettered, first %s; want every event delivered within the schedule", len(dead), dead[0].DeliveryID)
	}
	if !rcv.Has(want) {
		t.Fatalf("delivered webhook-ids differ from the accepted ones; missing e.g. %v", rcv.Missing(want))
	}
	waitFor(t, 5*time.Second, func() bool { return queueRows(t, srv.DBPath) == 0 }, func() string {
		return fmt.Sprintf("%d jobs still queued after every event was delivered", queueRows(t, srv.DBPath))
	})
	unique, total := rcv.Counts()
	t.Logf("burst of %d events (seed %d, %.0f%% failures): ingested in %s, all delivered in %s (%.0f events/s); "+
		"%d POSTs, %d answered 500, %d 2xx for %d webhook-ids: %d duplicates; every request's both signatures verified",
		n, burstSeed, failRate*100, ingested.Round(time.Millisecond), elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), int64(total)+failed.Load(), failed.Load(), total, unique, total-unique)
}
