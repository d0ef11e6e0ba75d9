package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func testGate(cfg IsolationConfig) *gate {
	return newGate(cfg, 10, func() float64 { return 0 })
}

// admitN admits up to n attempts for h and returns the admitted ones.
func admitN(g *gate, h *webhook.Hook, n int, now time.Time) []admission {
	var out []admission
	for range n {
		if a := g.admit(h, 10*time.Second, now, false, false); a.ok {
			out = append(out, a)
		}
	}
	return out
}

func TestGateAdaptiveLimit(t *testing.T) {
	tests := []struct {
		name string
		hook webhook.Hook
		// results are the outcomes of attempts finished one at a time before
		// counting how many the gate admits at once.
		results []bool
		latency time.Duration
		status  int
		want    int
	}{
		{name: "a new hook starts at InitialInFlight", want: 2},
		{name: "quick successes grow it to the process's concurrency", results: repeat(true, 20), latency: 5 * time.Millisecond, want: 10},
		{name: "slow successes do not grow it", results: repeat(true, 20), latency: 3 * time.Second, want: 2},
		{name: "the hook's own cap bounds it", hook: webhook.Hook{MaxInFlight: 4}, results: repeat(true, 20), latency: time.Millisecond, want: 4},
		{name: "timeouts halve it down to one", results: repeat(false, 4), latency: 10 * time.Second, want: 1},
		{name: "quick failures cost little and grow it", results: repeat(false, 20), latency: time.Millisecond, want: 10},
		{name: "a 429 halves it", results: repeat(false, 3), latency: time.Millisecond, status: 429, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testGate(IsolationConfig{FailureThreshold: -1})
			h := tt.hook
			h.ID = "h"
			for _, ok := range tt.results {
				a := g.admit(&h, 10*time.Second, t0, false, false)
				if !a.ok {
					t.Fatalf("a lone attempt was not admitted: %+v", a)
				}
				g.done(&h, a, attemptResult{ok: ok, status: tt.status, latency: tt.latency}, t0)
			}
			if got := len(admitN(g, &h, 50, t0)); got != tt.want {
				t.Errorf("admitted %d at once; want %d", got, tt.want)
			}
		})
	}
}

func TestGateDefersAtTheLimit(t *testing.T) {
	g := testGate(IsolationConfig{})
	h := webhook.Hook{ID: "slow"}
	held := admitN(g, &h, 2, t0)
	a := g.admit(&h, 10*time.Second, t0, false, false)
	if a.ok || a.wait < DefaultMinDefer || !strings.Contains(a.reason, "limit of 2") {
		t.Fatalf("third attempt = %+v; want a deferral of at least %s naming the limit", a, DefaultMinDefer)
	}
	other := webhook.Hook{ID: "other"}
	if got := len(admitN(g, &other, 2, t0)); got != 2 {
		t.Errorf("another hook got %d attempts; want 2: limits are per hook", got)
	}
	g.done(&h, held[0], attemptResult{ok: true, latency: 20 * time.Millisecond}, t0)
	if a := g.admit(&h, 10*time.Second, t0, false, false); !a.ok {
		t.Errorf("after one finished, attempt = %+v; want admitted", a)
	}
}

func TestGateCircuit(t *testing.T) {
	g := testGate(IsolationConfig{FailureThreshold: 3, OpenFor: time.Minute})
	h := webhook.Hook{ID: "h"}
	now := t0
	var tr transition
	for i := range 3 {
		a := g.admit(&h, time.Second, now, false, false)
		if !a.ok {
			t.Fatalf("attempt %d deferred before the threshold: %+v", i+1, a)
		}
		tr = g.done(&h, a, attemptResult{ok: false, latency: time.Second}, now)
		if tr.opened != (i == 2) {
			t.Fatalf("after failure %d opened = %v", i+1, tr.opened)
		}
	}
	if !tr.openUntil.Equal(now.Add(time.Minute)) || !strings.Contains(tr.reason, "3 failed attempts in a row") {
		t.Errorf("opened until %s (%q); want %s, naming the 3 failures", tr.openUntil, tr.reason, now.Add(time.Minute))
	}
	if a := g.admit(&h, time.Second, now.Add(30*time.Second), false, false); a.ok || a.wait != 30*time.Second {
		t.Errorf("while open: %+v; want deferred for the 30 s left", a)
	}

	// Half-open: one probe at a time; its failure reopens for twice as long.
	now = now.Add(time.Minute)
	probe := g.admit(&h, time.Second, now, false, false)
	if !probe.ok || !probe.probe {
		t.Fatalf("after OpenFor: %+v; want a probe", probe)
	}
	if a := g.admit(&h, time.Second, now, false, false); a.ok || !strings.Contains(a.reason, "probe") {
		t.Errorf("second attempt while probing = %+v; want deferred", a)
	}
	if tr := g.done(&h, probe, attemptResult{ok: false, latency: time.Second}, now); !tr.opened || !tr.openUntil.Equal(now.Add(2*time.Minute)) {
		t.Errorf("failed probe: %+v; want reopened for 2m", tr)
	}

	// A successful probe closes it.
	now = now.Add(2 * time.Minute)
	probe = g.admit(&h, time.Second, now, false, false)
	if tr := g.done(&h, probe, attemptResult{ok: true, latency: time.Millisecond}, now); !tr.closed {
		t.Errorf("successful probe: %+v; want closed", tr)
	}
	if got := len(admitN(g, &h, 10, now)); got != 2 {
		t.Errorf("after closing, %d admitted at once; want 2 (halved to 1 by the failures, +1 for the success)", got)
	}
}

func TestGateFollowsTheStoredCircuit(t *testing.T) {
	g := testGate(IsolationConfig{})
	h := webhook.Hook{ID: "h", CircuitOpenUntil: t0.Add(time.Minute).UnixMilli(), CircuitReason: "elsewhere"}
	if a := g.admit(&h, time.Second, t0, false, false); a.ok || a.wait != time.Minute {
		t.Errorf("hook stored open: %+v; want deferred for a minute", a)
	}
	a := g.admit(&h, time.Second, t0.Add(time.Minute), false, false)
	if !a.ok || !a.probe {
		t.Fatalf("after the stored time: %+v; want a probe", a)
	}
	if tr := g.done(&h, a, attemptResult{ok: true, latency: time.Millisecond}, t0.Add(time.Minute)); !tr.closed {
		t.Errorf("probe success: %+v; want closed, so the store is cleared", tr)
	}
}

func TestGateEvictsIdleHooks(t *testing.T) {
	g := testGate(IsolationConfig{})
	for _, id := range []string{"a", "b", "c"} {
		h := webhook.Hook{ID: id}
		g.done(&h, g.admit(&h, time.Second, t0, false, false), attemptResult{ok: true, latency: time.Millisecond}, t0)
	}
	busy := webhook.Hook{ID: "busy"}
	g.admit(&busy, time.Second, t0, false, false)
	later := webhook.Hook{ID: "later"}
	g.admit(&later, time.Second, t0.Add(idleEvict+2*time.Minute), false, false)
	if len(g.hooks) != 2 {
		t.Errorf("kept %d hooks' state; want 2 (the one in flight and the new one)", len(g.hooks))
	}
}

func repeat(v bool, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestGateWaitsForAQuickHook checks that a job of a quick hook at its limit
// waits for a slot instead of being deferred, and that a failing hook's job
// does not wait.
func TestGateWaitsForAQuickHook(t *testing.T) {
	g := testGate(IsolationConfig{MaxWait: 5 * time.Second})
	h := webhook.Hook{ID: "quick"}
	now := func() time.Time { return t0 }
	held := admitN(g, &h, 2, t0)
	go func() {
		time.Sleep(20 * time.Millisecond)
		g.done(&h, held[0], attemptResult{ok: true, latency: time.Millisecond}, t0)
	}()
	start := time.Now()
	if a := g.acquire(context.Background(), &h, time.Second, now); !a.ok {
		t.Fatalf("quick hook at its limit: %+v; want admitted once a slot freed", a)
	}
	if waited := time.Since(start); waited > 4*time.Second {
		t.Errorf("waited %s; want about the 20 ms until the slot freed", waited)
	}

	bad := webhook.Hook{ID: "failing"}
	a := g.acquire(context.Background(), &bad, time.Second, now)
	g.done(&bad, a, attemptResult{ok: false, latency: 10 * time.Second}, t0) // a timeout: limit 2 -> 1
	admitN(g, &bad, 1, t0)
	start = time.Now()
	if a := g.acquire(context.Background(), &bad, time.Second, now); a.ok || time.Since(start) > time.Second {
		t.Errorf("failing hook at its limit: %+v after %s; want deferred at once", a, time.Since(start))
	}
}

// TestGateToleratesAFlakyReceiver fails a third of the attempts, five in a
// row among them, and checks the circuit stays closed: most of the window
// succeeded, so the hook is retried, not cut off.
func TestGateToleratesAFlakyReceiver(t *testing.T) {
	g := testGate(IsolationConfig{})
	h := webhook.Hook{ID: "flaky"}
	pattern := []bool{true, true, false, true, true, false, true, true, true, true, true, true, true, false, false, false, false, false}
	for i, ok := range pattern {
		a := g.admit(&h, time.Second, t0, false, false)
		if !a.ok {
			t.Fatalf("attempt %d deferred: %+v", i+1, a)
		}
		if tr := g.done(&h, a, attemptResult{ok: ok, status: 500, latency: time.Millisecond}, t0); tr.opened {
			t.Fatalf("attempt %d opened the circuit (%s); want it closed while most of the window succeeded", i+1, tr.reason)
		}
	}
}

// TestGateOpensOnTimeouts checks that two timeouts in a row, the costliest
// failure, open the circuit without waiting for five.
func TestGateOpensOnTimeouts(t *testing.T) {
	g := testGate(IsolationConfig{})
	h := webhook.Hook{ID: "hangs"}
	held := admitN(g, &h, 2, t0)
	if tr := g.done(&h, held[0], attemptResult{timedOut: true, latency: 10 * time.Second}, t0); tr.opened {
		t.Fatalf("one timeout opened the circuit: %s", tr.reason)
	}
	tr := g.done(&h, held[1], attemptResult{timedOut: true, latency: 10 * time.Second}, t0)
	if !tr.opened || !strings.Contains(tr.reason, "2 attempts in a row timed out") {
		t.Errorf("after two timeouts: %+v; want the circuit open, naming the timeouts", tr)
	}
}

// TestGateCapsWaitersOnSharedWorkers checks that among shared workers no more
// jobs wait for a hook than it has slots (the rest are deferred at once), and
// that in the Lambda handler, where each job has its own goroutine, they may.
func TestGateCapsWaitersOnSharedWorkers(t *testing.T) {
	g := testGate(IsolationConfig{MaxWait: time.Minute})
	h := webhook.Hook{ID: "new"}
	admitN(g, &h, 2, t0)
	for i := range 2 {
		if a := g.admit(&h, time.Second, t0, false, false); a.ok || a.free == nil {
			t.Fatalf("waiter %d: %+v; want told to wait", i+1, a)
		}
	}
	if a := g.admit(&h, time.Second, t0, false, false); a.ok || a.free != nil {
		t.Errorf("third waiter on shared workers: %+v; want deferred at once", a)
	}
	if a := g.admit(&h, time.Second, t0, true, false); a.ok || a.free == nil {
		t.Errorf("a job with a goroutine of its own: %+v; want told to wait", a)
	}
}
