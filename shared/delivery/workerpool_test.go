package delivery

import (
	"sync"
	"testing"
	"time"
)

// TestWorkerPoolNeverQueues checks that run starts every function at once,
// even with more of them running than the pool keeps, that it keeps at most
// max workers, and that idle workers exit.
func TestWorkerPoolNeverQueues(t *testing.T) {
	p := newWorkerPool(2)
	p.idle = 50 * time.Millisecond
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(5)
	for range 5 {
		p.run(func() { started.Done(); <-release })
	}
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	select {
	case <-all: // all five run at once although the pool keeps two
	case <-time.After(5 * time.Second):
		t.Fatal("run queued a function behind the busy workers")
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for p.n.Load() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers kept after the burst; want 2", p.n.Load())
		}
		time.Sleep(time.Millisecond)
	}
	for p.n.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still alive after idling; want none", p.n.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
