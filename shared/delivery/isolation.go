package delivery

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Isolation keeps one hook's broken endpoint from slowing the others. A
// delivery process (a warm Lambda, `webhooks dev`) has a fixed number of POSTs
// in flight; without a bound, a hook whose endpoint hangs holds every one of
// them for its whole timeout. Each hook therefore gets:
//
//   - an adaptive in-flight limit: it starts at IsolationConfig.InitialInFlight,
//     grows by one with each quick success up to the hook's cap (Hook.MaxInFlight
//     or IsolationConfig.MaxInFlight), is halved by each failure and stays put on
//     slow successes, so a slow or failing hook holds few workers and a healthy
//     one soon has them all;
//   - a circuit breaker: FailureThreshold failed attempts in a row open it for
//     OpenFor (doubling on each failed probe, up to MaxOpenFor); once that has
//     passed one probe goes out (half-open), and a success closes it.
//
// A job the gate does not admit is deferred: put back on the queue for later
// without a POST and without using one of its attempts. The state lives in the
// process; the circuit is also stored on the hook (HookStore.SetCircuit), so
// other processes and the operator see it, and a process that reads an open
// circuit from the store defers that hook's jobs too.
type IsolationConfig struct {
	// MaxInFlight caps a hook's attempts in flight in this process when the hook
	// sets no Hook.MaxInFlight (default: the process's whole concurrency, so a
	// lone healthy hook is not throttled).
	MaxInFlight int
	// InitialInFlight is where a hook's adaptive limit starts, and the most a
	// hook never seen before (or back from idle) can hold (default 2).
	InitialInFlight int
	// SlowAfter: a success slower than this does not raise the limit
	// (default 1 s).
	SlowAfter time.Duration
	// FailureThreshold is how many failed attempts in a row open the circuit
	// (default 5). Negative turns the breaker off.
	FailureThreshold int
	// OpenFor is how long the circuit first stays open (default 30 s); each
	// failed probe doubles it, up to MaxOpenFor (default 15 min, SQS's longest
	// message delay, so one deferral spans it).
	OpenFor    time.Duration
	MaxOpenFor time.Duration
	// MinDefer is the shortest deferral of a job whose hook is at its limit
	// (default 50 ms); it grows with the hook's recent latency, up to its timeout.
	MinDefer time.Duration
	// MaxWait is how long a job whose hook is at its limit may wait in the
	// process for a slot before it is deferred (default 250 ms), when the hook
	// answers quickly (or is not known yet): a burst to one healthy hook then
	// costs no deferrals while its limit grows. A hook slower than SlowAfter,
	// or failing, gets no wait: its jobs are deferred at once.
	MaxWait time.Duration
}

// Isolation defaults.
const (
	DefaultInitialInFlight  = 2
	DefaultSlowAfter        = time.Second
	DefaultFailureThreshold = 5
	DefaultOpenFor          = 30 * time.Second
	DefaultMaxOpenFor       = 15 * time.Minute
	DefaultMinDefer         = 50 * time.Millisecond
	DefaultMaxWait          = 250 * time.Millisecond
	// idleEvict is how long an idle hook's state is kept; after it the hook
	// starts again at InitialInFlight.
	idleEvict = 5 * time.Minute
)

func (c IsolationConfig) withDefaults(concurrency int) IsolationConfig {
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = max(concurrency, 1)
	}
	if c.InitialInFlight <= 0 {
		c.InitialInFlight = DefaultInitialInFlight
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = DefaultSlowAfter
	}
	if c.FailureThreshold == 0 {
		c.FailureThreshold = DefaultFailureThreshold
	}
	if c.OpenFor <= 0 {
		c.OpenFor = DefaultOpenFor
	}
	if c.MaxOpenFor < c.OpenFor {
		c.MaxOpenFor = max(DefaultMaxOpenFor, c.OpenFor)
	}
	if c.MinDefer <= 0 {
		c.MinDefer = DefaultMinDefer
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	return c
}

// circuit is a breaker's state.
type circuit int

const (
	closed circuit = iota
	open
	halfOpen
)

func (c circuit) String() string {
	return [...]string{"closed", "open", "half-open"}[c]
}

// hookState is what the gate knows of one hook in this process.
type hookState struct {
	inFlight int
	limit    int
	failures int // failed attempts in a row
	timeouts int // attempts in a row that timed out
	// busySince is when the hook last went from nothing in flight to
	// something: before any attempt finishes, how long its attempts have run.
	busySince time.Time
	circuit   circuit
	// openUntil is when an open circuit lets a probe through; openings counts
	// the openings since it last closed (for the doubling).
	openUntil time.Time
	openings  int
	probing   bool
	// slowUntil: until then this instance hands the hook's main-lane jobs
	// to the slow lane without trying them (its last main-lane attempt was cut).
	slowUntil time.Time
	latency   time.Duration // moving average of attempt latency
	history   uint32        // the last attempts, 1 bits for failures (newest lowest)
	samples   int           // how many of history's bits count (at most window)
	seen      time.Time
	created   time.Time
	// freed is closed (and replaced) when an attempt finishes, waking the
	// jobs waiting for a slot; nil while nobody waits. waiting counts them.
	freed   chan struct{}
	waiting int
}

// wake wakes every job waiting for one of st's slots; the caller holds g.mu.
func (st *hookState) wake() {
	if st.freed != nil {
		close(st.freed)
		st.freed = nil
	}
}

// gate admits attempts per hook; it is safe for concurrent use.
type gate struct {
	cfg   IsolationConfig
	rand  func() float64
	mu    sync.Mutex
	hooks map[string]*hookState
	sweep time.Time
}

func newGate(cfg IsolationConfig, concurrency int, rand func() float64) *gate {
	return &gate{cfg: cfg.withDefaults(concurrency), rand: rand, hooks: map[string]*hookState{}}
}

// admission is the gate's answer for one job.
type admission struct {
	ok    bool
	probe bool
	// handOff, when !ok, sends the job to the slow lane instead of deferring it.
	handOff bool
	// wait and reason say, when !ok, how long to defer the job and why.
	wait   time.Duration
	reason string
	// free, when !ok because the hook is at its limit and quick, is closed
	// when one of its slots frees; patience is how long the job may wait.
	free     <-chan struct{}
	patience time.Duration
	counted  bool // the wait is counted in the hook's waiters
}

// ownSlotKey marks a context whose attempt runs on a goroutine of its own.
type ownSlotKey struct{}

// withOwnSlot marks ctx: SQSHandler gives every job of a batch its own
// goroutine, so a job waiting for its hook's slot takes none from another hook.
func withOwnSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownSlotKey{}, true)
}

func ownSlot(ctx context.Context) bool {
	own, _ := ctx.Value(ownSlotKey{}).(bool)
	return own
}

// acquire is admit, waiting up to the answer's patience (real time, bounded
// by ctx) for a slot of a quick hook at its limit.
func (g *gate) acquire(ctx context.Context, h *webhook.Hook, timeout time.Duration, now func() time.Time) admission {
	lane := inMainLane(ctx)
	a := g.admit(h, timeout, now(), ownSlot(ctx), lane)
	if a.ok || a.free == nil {
		return a
	}
	deadline := time.NewTimer(a.patience)
	defer deadline.Stop()
	for {
		select {
		case <-a.free:
		case <-deadline.C:
			g.unwait(h, a)
			return a
		case <-ctx.Done():
			g.unwait(h, a)
			return a
		}
		g.unwait(h, a)
		if a = g.admit(h, timeout, now(), ownSlot(ctx), lane); a.ok || a.free == nil {
			return a
		}
	}
}

// unwait counts a waiting job out (admit counted it in).
func (g *gate) unwait(h *webhook.Hook, a admission) {
	if !a.counted {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if st := g.hooks[h.ID]; st != nil {
		st.waiting = max(st.waiting-1, 0)
	}
}

// admit decides whether an attempt at hook h may start at now. An admitted
// attempt must be finished with done. own says the job runs on a goroutine of
// its own (the Lambda handler's batch), so its waiting holds no worker another
// hook could use, and is not counted against the hook's waiters. lane says the
// job came from the main lane, which a hook cut there recently skips.
func (g *gate) admit(h *webhook.Hook, timeout time.Duration, now time.Time, own, lane bool) admission {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.evict(now)
	st := g.state(h.ID, now)
	if stored := time.UnixMilli(h.CircuitOpenUntil); h.CircuitOpenUntil != 0 && st.circuit == closed && now.Before(stored) {
		// Another process opened it: follow the store.
		st.circuit, st.openUntil = open, stored
	}
	switch st.circuit {
	case open:
		if now.Before(st.openUntil) {
			return admission{wait: g.spread(st.openUntil.Sub(now)), reason: "circuit open until " + st.openUntil.UTC().Format(time.RFC3339)}
		}
		st.circuit = halfOpen
		fallthrough
	case halfOpen:
		if st.probing {
			return admission{wait: g.spread(g.retryIn(st, timeout, now)), reason: "circuit half-open: a probe is in flight"}
		}
		st.probing = true
		st.start(now)
		return admission{ok: true, probe: true}
	}
	if lane && now.Before(st.slowUntil) {
		return admission{handOff: true, reason: "too slow for the main lane until " + st.slowUntil.UTC().Format(time.RFC3339)}
	}
	if st.inFlight >= st.limit {
		a := admission{wait: g.spread(g.retryIn(st, timeout, now)), reason: fmt.Sprintf("hook at its limit of %d attempts in flight", st.limit)}
		// Among shared workers at most as many jobs wait as the hook has slots:
		// a hook whose first attempts hang then holds at most twice its limit.
		if g.quick(st, now) && g.cfg.MaxWait > 0 && (own || st.waiting < st.limit) {
			if st.freed == nil {
				st.freed = make(chan struct{})
			}
			if !own {
				st.waiting++
			}
			a.free, a.patience, a.counted = st.freed, g.cfg.MaxWait, !own
		}
		return a
	}
	st.start(now)
	return admission{ok: true}
}

// start counts an admitted attempt in flight.
func (st *hookState) start(now time.Time) {
	if st.inFlight == 0 {
		st.busySince = now
	}
	st.inFlight++
}

// quick reports whether st's hook is worth waiting for: its recent attempts
// succeeded in less than SlowAfter, or, before any has finished, it was first
// seen less than MinDefer ago (enough for a batch that arrives at once). A hook
// whose first attempts hang therefore costs its neighbours little waiting:
// with MaxWait as the window, beside such a hook a healthy one's p99 was 4-5x
// its p99 beside a healthy neighbour; with MinDefer, 1.7-2.5x.
func (g *gate) quick(st *hookState, now time.Time) bool {
	if st.samples == 0 {
		return now.Sub(st.created) < g.cfg.MinDefer
	}
	return st.failures == 0 && st.latency < g.cfg.SlowAfter
}

// retryIn is how long to defer a job whose hook has no slot free: about two
// of its recent attempts, at least MinDefer for a quick hook; for one that is
// not, at least SlowAfter and as long as its attempts in flight have run, so a
// hook whose attempts hang has its jobs come back less and less often instead
// of churning through the queue. Never more than the hook's timeout.
func (g *gate) retryIn(st *hookState, timeout time.Duration, now time.Time) time.Duration {
	d := max(2*st.latency, g.cfg.MinDefer)
	if !g.quick(st, now) {
		d = max(d, g.cfg.SlowAfter)
		if st.inFlight > 0 {
			d = max(d, now.Sub(st.busySince))
		}
	}
	return min(d, timeout)
}

// transition is what done reports of the circuit, for logs, metrics and the store.
type transition struct {
	opened, closed bool
	openUntil      time.Time
	reason         string
}

// attemptResult is what the gate learns from a finished attempt.
type attemptResult struct {
	ok       bool          // a 2xx
	timedOut bool          // no response within the attempt's timeout
	status   int           // 0 when no response arrived
	latency  time.Duration // time the attempt held its worker
}

// done records the result of an admitted attempt. The limit follows the cost
// of the hook's attempts, not their results: a quick attempt (a fast 500
// included: it barely holds a worker) raises it by one; a slow one (SlowAfter
// or more, a timeout included) or a 429, the receiver asking for less, halves
// it; a slow success leaves it. The circuit follows failures: it opens after
// FailureThreshold failures in a row when most of the recent window failed
// too, so a receiver that fails a third of requests at random is retried, not
// cut off.
func (g *gate) done(h *webhook.Hook, a admission, o attemptResult, now time.Time) transition {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.release(h, a, now)
	defer st.wake()
	if st.latency == 0 {
		st.latency = o.latency
	} else {
		st.latency = (3*st.latency + o.latency) / 4
	}
	limit := h.MaxInFlight
	if limit <= 0 {
		limit = g.cfg.MaxInFlight
	}
	slow := o.latency >= g.cfg.SlowAfter
	switch {
	case slow && o.ok:
	case slow || o.status == 429:
		st.limit /= 2
	default:
		st.limit++
	}
	st.limit = min(max(st.limit, 1), limit)
	st.record(!o.ok)
	if o.timedOut {
		st.timeouts++
	} else {
		st.timeouts = 0
	}

	var tr transition
	if o.ok {
		st.failures, st.timeouts = 0, 0
		if st.circuit != closed || h.CircuitOpenUntil != 0 {
			tr.closed = true
		}
		st.circuit, st.openings = closed, 0
		return tr
	}
	st.failures++
	if g.cfg.FailureThreshold < 0 {
		return tr
	}
	// Timeouts are the costly failure (each held a worker for the whole
	// timeout), so two in a row are enough.
	inARow := st.failures >= g.cfg.FailureThreshold || st.timeouts >= timeoutThreshold
	trip := st.circuit == closed && inARow && st.failureRate() >= tripRate
	if a.probe || trip {
		d := g.cfg.OpenFor << min(st.openings, 20)
		d = min(d, g.cfg.MaxOpenFor)
		st.openings++
		st.circuit, st.openUntil = open, now.Add(d)
		tr.opened, tr.openUntil = true, st.openUntil
		switch {
		case a.probe:
			tr.reason = fmt.Sprintf("probe failed; open for %s", formatDuration(d))
		case st.timeouts >= timeoutThreshold:
			tr.reason = fmt.Sprintf("%d attempts in a row timed out; open for %s", st.timeouts, formatDuration(d))
		default:
			tr.reason = fmt.Sprintf("%d failed attempts in a row; open for %s", st.failures, formatDuration(d))
		}
	}
	return tr
}

// release gives back an admitted attempt's slot (and its probe) and returns
// the hook's state; the caller holds g.mu and wakes the state's waiters.
func (g *gate) release(h *webhook.Hook, a admission, now time.Time) *hookState {
	st := g.state(h.ID, now)
	st.inFlight = max(st.inFlight-1, 0)
	if a.probe {
		st.probing = false
	}
	return st
}

// cut records an admitted attempt that SQSHandler cut after latency to hand
// its job to the slow lane. Its result is unknown, so the circuit learns
// nothing; the attempt was slow, so the limit halves, and the hook's main-lane
// jobs skip to the slow lane for slowLaneFor.
func (g *gate) cut(h *webhook.Hook, a admission, latency time.Duration, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.release(h, a, now)
	defer st.wake()
	st.latency = max(st.latency, latency)
	st.limit = max(st.limit/2, 1)
	st.slowUntil = now.Add(slowLaneFor)
}

// The circuit's window: the last window attempts, of which at least tripRate
// must have failed for it to open.
const (
	window   = 20
	tripRate = 0.8
	// timeoutThreshold is how many timeouts in a row open the circuit.
	timeoutThreshold = 2
)

// record adds one attempt to the window.
func (st *hookState) record(failed bool) {
	st.history <<= 1
	if failed {
		st.history |= 1
	}
	st.samples = min(st.samples+1, window)
}

// failureRate is the share of failures in the window.
func (st *hookState) failureRate() float64 {
	if st.samples == 0 {
		return 0
	}
	return float64(bits.OnesCount32(st.history&(1<<st.samples-1))) / float64(st.samples)
}

func (g *gate) state(id string, now time.Time) *hookState {
	st := g.hooks[id]
	if st == nil {
		st = &hookState{limit: min(g.cfg.InitialInFlight, g.cfg.MaxInFlight), created: now}
		g.hooks[id] = st
	}
	st.seen = now
	return st
}

// evict drops, at most once a minute, the state of hooks idle for idleEvict
// with nothing in flight and a closed circuit, so a process that has delivered
// to a million hooks does not keep a million entries.
func (g *gate) evict(now time.Time) {
	if now.Sub(g.sweep) < time.Minute {
		return
	}
	g.sweep = now
	for id, st := range g.hooks {
		if st.inFlight == 0 && st.circuit == closed && now.Sub(st.seen) > idleEvict {
			delete(g.hooks, id)
		}
	}
}

// spread adds up to +20 % to d so that deferred jobs do not all return at once.
func (g *gate) spread(d time.Duration) time.Duration {
	return d + time.Duration(float64(d)*Jitter*g.rand())
}
