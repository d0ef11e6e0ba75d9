package delivery

import (
	"context"
	"errors"
	"sync"
	"time"
)

// The slow lane. The SQS event source mapping hands the delivery Lambda a
// batch and waits for all of it: one attempt at an endpoint that hangs holds
// the whole execution environment, and with it every job queued behind, for
// the hook's timeout. The per-hook gate cannot help on an instance's first
// contact with such a hook (it knows nothing yet), and every new instance
// makes one. So the delivery queue is the main lane, for attempts that end
// quickly, and a second queue with its own event source mapping (and its own
// MaximumConcurrency) is the slow lane:
//
//   - In the main lane, an attempt still running when it has taken
//     HandOffFactor times the batch's slowest finished attempt (at least
//     HandOffFloor), or SlowAfter when no attempt of the batch has finished, is
//     cut: its request is cancelled and a copy of its job goes to the slow
//     queue. The cut is not an attempt: the copy carries the same attempt
//     number and the delivery log has no entry for it. The receiver may have
//     got the request, so it may see the webhook twice (at-least-once, same
//     webhook-id).
//   - The instance then sends that hook's jobs to the slow lane without
//     trying them, for slowLaneFor.
//   - In the slow lane nothing is cut: attempts get the hook's whole timeout,
//     behind the same per-hook gate and circuit breaker, so a hanging hook
//     there holds slow-lane instances only, and few of them.
//
// Cost: a hand-off is one SendMessage, plus its share of the slow mapping's
// receive and delete. A healthy hook never pays it.

// ErrHandedOff is the cause of a main-lane attempt's cancellation when
// SQSHandler cuts it to hand its job to the slow lane.
var ErrHandedOff = errors.New("handed to the slow lane")

// Hand-off defaults (see the slow lane above).
const (
	DefaultHandOffFloor = 50 * time.Millisecond
	HandOffFactor       = 4
	// slowLaneFor is how long an instance sends a cut hook's jobs straight to
	// the slow lane before it tries the hook in the main lane again.
	slowLaneFor = 5 * time.Minute
)

// mainLaneKey marks a context whose job came from the main lane.
type mainLaneKey struct{}

func withMainLane(ctx context.Context) context.Context {
	return context.WithValue(ctx, mainLaneKey{}, true)
}

func inMainLane(ctx context.Context) bool {
	v, _ := ctx.Value(mainLaneKey{}).(bool)
	return v
}

// handedOff reports whether ctx was cancelled to hand its job off.
func handedOff(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrHandedOff)
}

// stopwatch cuts a main-lane batch's stragglers. Each record runs under a
// context from start; finish reports how long its attempt took (posted) or
// that it made none. A record is cut once it has run longer than the budget:
// HandOffFactor times the slowest finished attempt, within [floor, ceiling];
// ceiling alone while no attempt has finished.
type stopwatch struct {
	floor, ceiling time.Duration
	mu             sync.Mutex
	slowest        time.Duration
	finished       bool // an attempt has finished
	running        map[int]*timed
	next           int
	changed        chan struct{}
	stop           chan struct{}
	stopped        sync.WaitGroup
}

type timed struct {
	start  time.Time
	cancel context.CancelCauseFunc
}

func newStopwatch(floor, ceiling time.Duration) *stopwatch {
	w := &stopwatch{floor: floor, ceiling: max(ceiling, floor), running: map[int]*timed{},
		changed: make(chan struct{}, 1), stop: make(chan struct{})}
	w.stopped.Go(w.run)
	return w
}

// start returns ctx for one record, and finish to call when it is settled,
// saying whether it made an attempt.
func (w *stopwatch) start(ctx context.Context) (context.Context, func(posted bool)) {
	ctx, cancel := context.WithCancelCause(ctx)
	w.mu.Lock()
	id := w.next
	w.next++
	t := &timed{start: time.Now(), cancel: cancel}
	w.running[id] = t
	w.mu.Unlock()
	w.poke()
	return ctx, func(posted bool) {
		w.mu.Lock()
		if _, ok := w.running[id]; ok && posted {
			w.finished = true
			w.slowest = max(w.slowest, time.Since(t.start))
		}
		delete(w.running, id)
		w.mu.Unlock()
		cancel(nil)
		w.poke()
	}
}

func (w *stopwatch) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// budget is how long a record may run; the caller holds w.mu.
func (w *stopwatch) budget() time.Duration {
	if !w.finished {
		return w.ceiling
	}
	return min(max(HandOffFactor*w.slowest, w.floor), w.ceiling)
}

// run cuts records past the budget until close.
func (w *stopwatch) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.mu.Lock()
		b, now := w.budget(), time.Now()
		wait := time.Duration(-1)
		for id, t := range w.running {
			left := t.start.Add(b).Sub(now)
			if left <= 0 {
				t.cancel(ErrHandedOff)
				delete(w.running, id)
				continue
			}
			if wait < 0 || left < wait {
				wait = left
			}
		}
		w.mu.Unlock()
		if wait < 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-w.stop:
			return
		case <-w.changed:
		case <-timer.C:
		}
	}
}

// close stops the stopwatch; call it once every record has finished.
func (w *stopwatch) close() {
	close(w.stop)
	w.stopped.Wait()
}
