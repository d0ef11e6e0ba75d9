package delivery

import (
	"sync/atomic"
	"time"
)

// workerPool runs each record's delivery on a goroutine that is free at once,
// as a fresh goroutine per record did, but keeps up to max of them between
// batches. A fresh goroutine starts on a small stack and grows it by copying
// several times on the way down to the HTTP client's dial (an execution trace
// of delivery/handler-memlog put that at ~9 µs per record, on the batch's
// critical path); a kept worker has grown it already.
type workerPool struct {
	work chan func()
	n    atomic.Int32 // workers alive
	max  int32
	idle time.Duration
}

// workerIdle is how long a kept worker waits for a record before it exits,
// so an idle handler holds no goroutines.
const workerIdle = 30 * time.Second

func newWorkerPool(max int) *workerPool {
	return &workerPool{work: make(chan func()), max: int32(max), idle: workerIdle}
}

// run starts f now: on an idle worker if one is waiting, else on a new
// goroutine, which stays on as a worker afterwards while the pool has room.
// It never waits, so a record never queues behind another.
func (p *workerPool) run(f func()) {
	select {
	case p.work <- f:
		return
	default:
	}
	go func() {
		f()
		if p.n.Add(1) > p.max {
			p.n.Add(-1)
			return
		}
		p.serve()
	}()
}

func (p *workerPool) serve() {
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		select {
		case f := <-p.work:
			f()
			t.Reset(p.idle)
		case <-t.C:
			p.n.Add(-1)
			return
		}
	}
}
