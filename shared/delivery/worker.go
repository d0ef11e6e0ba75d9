package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Worker pulls jobs from a queue and delivers them: the `webhooks dev` and test
// counterpart of the SQS event source mapping plus SQSHandler.
type Worker struct {
	Service *Service
	Queue   webhook.Consumer
	// Concurrency bounds the attempts that hold a worker (0: the Service's
	// Config.Concurrency, whose isolation limits are sized for it). An attempt
	// still running after DefaultHandOffFloor lets go of its worker and runs on
	// among at most as many slow ones: a receiver that hangs then holds no
	// worker a quick hook could use (the in-process counterpart of the slow
	// lane), and at most 2 x Concurrency attempts are ever in flight. It also
	// reads ahead: jobs received and waiting for a slot count in the same
	// bound of 2 x Concurrency jobs in hand.
	Concurrency int
	// Wait is the long-poll duration of each receive (default 1 s).
	Wait   time.Duration
	Logger *slog.Logger
}

// Run delivers until ctx is cancelled, then stops receiving, lets in-flight
// deliveries finish (each is bounded by its timeout) and returns. A job received
// but not finished when the process dies reappears after the queue's visibility
// timeout, so nothing accepted is lost.
func (w *Worker) Run(ctx context.Context) error {
	conc := w.Concurrency
	if conc <= 0 {
		conc = w.Service.cfg.Concurrency
	}
	wait := w.Wait
	if wait <= 0 {
		wait = time.Second
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// In-flight work outlives ctx so shutdown finishes or returns each job.
	work := context.WithoutCancel(ctx)
	sem := make(chan struct{}, conc)
	// A job's slot is free once its attempt is made: settling it (ack, retry,
	// deferral) waits for a commit, which on the embedded queue is shared with
	// the other settles of the moment, and holding the slot for it would leave
	// the receiver idle. settling bounds the jobs waiting so.
	settling := make(chan struct{}, settleBacklog*conc)
	slow := make(chan struct{}, conc)
	// held bounds the jobs received and not yet attempted: up to conc of them
	// wait for a slot, so the next attempts are in hand while a receive (a
	// commit on the embedded queue) is on its way, instead of each freed slot
	// waiting for a receive of its own.
	held := make(chan struct{}, 2*conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case held <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		free := 1
	fill:
		for free < cap(held) {
			select {
			case held <- struct{}{}:
				free++
			default:
				break fill
			}
		}
		msgs, err := w.Queue.Receive(ctx, min(free, conc), wait)
		for range free - len(msgs) {
			<-held
		}
		// Messages received as ctx ended are delivered too: they are in flight.
		if err != nil && len(msgs) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			log.Error("delivery worker: receive failed", "error", err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for _, m := range msgs {
			wg.Add(1)
			go func(m webhook.Message) {
				defer wg.Done()
				sem <- struct{}{}
				release := detach(sem, slow, DefaultHandOffFloor)
				out := w.Service.Deliver(work, m)
				settling <- struct{}{}
				release()
				<-held
				w.settle(work, log, m, out)
				<-settling
			}(m)
		}
	}
}

// detach moves a job's hold from one of sem's slots to one of slow's once it
// has run for after, if slow has one free; release frees whichever it holds.
func detach(sem, slow chan struct{}, after time.Duration) (release func()) {
	var (
		mu      sync.Mutex
		done    bool
		slowing bool
	)
	t := time.AfterFunc(after, func() {
		select {
		case slow <- struct{}{}:
		default:
			return // the slow pool is full: keep the worker
		}
		mu.Lock()
		defer mu.Unlock()
		if done {
			<-slow
			return
		}
		slowing = true
		<-sem
	})
	return func() {
		t.Stop()
		mu.Lock()
		defer mu.Unlock()
		done = true
		if slowing {
			<-slow
		} else {
			<-sem
		}
	}
}

// settleBacklog is how many jobs per slot may wait for their settle to commit.
const settleBacklog = 4

func (w *Worker) settle(ctx context.Context, log *slog.Logger, m webhook.Message, out Outcome) {
	var err error
	switch out.Action {
	case Ack:
		err = w.Queue.Ack(ctx, m)
	case Retry:
		err = w.Queue.Retry(ctx, m, out.Delay)
	case DeadLetter:
		err = w.Queue.DeadLetter(ctx, m)
	case Defer:
		err = w.Queue.Defer(ctx, m, out.Delay)
	}
	if err != nil {
		log.Error("delivery worker: cannot settle job; it will come back after the visibility timeout",
			"deliveryId", m.Job.DeliveryID, "error", err)
	}
}
