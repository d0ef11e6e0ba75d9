package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Group commit. Every write of a DB goes through one committer goroutine, which
// runs all the writes waiting for it in one immediate transaction: a worker's
// ack, another's retry, a deferral, the delivery-log rows of the attempts just
// made and the next receive share one commit, where each used to pay its own.
// SQLite's cost is per transaction far more than per row (taking the write
// lock, the WAL frame and its header, the commit itself), so under load the
// cost per job falls with the batch; when idle a batch holds one write and
// waits for nothing: the window in which writes coalesce is the previous
// commit, not a timer.
//
// A write that fails with an error wrapping webhook.ErrNotFound or
// webhook.ErrConflict must have written nothing (a stale receipt, a missing
// or changed hook): it reports its error and the batch commits without it.
// Any other error rolls the whole batch back and each write is run again in a
// transaction of its own, so one bad write never fails its neighbours. Writes
// may therefore run more than once and must reset what they capture.

// maxBatch bounds the writes of one transaction, so one commit holds SQLite's
// write lock (and other processes on the same file) for milliseconds, not more.
const maxBatch = 256

// opQueue is the buffer in front of the committer; a full buffer blocks
// writers, which is the back-pressure on fire-and-forget writes.
const opQueue = 1024

// op is one write waiting for the committer.
type op struct {
	ctx context.Context
	// fn does the write; nil is a barrier, done once every write queued
	// before it is committed.
	fn func(tx *sql.Tx) error
	// done receives fn's outcome once committed or failed; nil: nobody waits
	// (the delivery log's Record) and a failure is kept for the next caller.
	done chan error
	// wakes says the write makes jobs visible now: receivers are woken after
	// its commit.
	wakes bool
}

// errClosed is returned by writes after Close.
var errClosed = errors.New("embedded database is closed")

// committer is the DB's single writer.
type committer struct {
	mu     sync.RWMutex // held for reading while queueing; Close takes it to stop
	closed bool
	ops    chan *op
	done   chan struct{}

	// failed keeps the first fire-and-forget failure until a caller reports it.
	failMu sync.Mutex
	failed error

	// wake is closed (and replaced) after each commit that made jobs
	// visible: the in-process signal that ends a Receive's wait at once.
	wakeMu sync.Mutex
	wake   chan struct{}
}

func (d *DB) startCommitter() {
	d.c = &committer{ops: make(chan *op, opQueue), done: make(chan struct{}), wake: make(chan struct{})}
	go d.commitLoop()
}

// submit queues o for the committer.
func (d *DB) submit(o *op) error {
	d.c.mu.RLock()
	defer d.c.mu.RUnlock()
	if d.c.closed {
		return errClosed
	}
	d.c.ops <- o
	return nil
}

// write runs fn in a transaction (shared with other writes, see above),
// returning once it is committed or has failed.
func (d *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.writeWaking(ctx, fn, false)
}

// writeWaking is write for writes that make jobs visible now.
func (d *DB) writeWaking(ctx context.Context, fn func(tx *sql.Tx) error, wakes bool) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1), wakes: wakes}
	if err := d.submit(o); err != nil {
		return err
	}
	return <-o.done
}

// writeLater queues fn and returns at once; a failure is returned by a later
// call of takeFailure. Writes are committed in the order they are queued, so a
// write queued after this one (an ack after its attempt's log row) is never
// committed without it.
func (d *DB) writeLater(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.submit(&op{ctx: context.WithoutCancel(ctx), fn: fn})
}

// flush returns once every write queued before it is committed (or failed),
// so a read sees what this process has written.
func (d *DB) flush(ctx context.Context) error {
	o := &op{ctx: ctx, done: make(chan error, 1)}
	if err := d.submit(o); err != nil {
		return err
	}
	return <-o.done
}

// takeFailure returns (and forgets) the first fire-and-forget write that failed
// since the last call.
func (d *DB) takeFailure() error {
	d.c.failMu.Lock()
	defer d.c.failMu.Unlock()
	err := d.c.failed
	d.c.failed = nil
	return err
}

// woken returns the channel the next waking commit closes.
func (d *DB) woken() <-chan struct{} {
	d.c.wakeMu.Lock()
	defer d.c.wakeMu.Unlock()
	return d.c.wake
}

func (d *DB) signal() {
	d.c.wakeMu.Lock()
	close(d.c.wake)
	d.c.wake = make(chan struct{})
	d.c.wakeMu.Unlock()
}

// stopCommitter refuses new writes, commits those queued and waits for the
// committer to end.
func (d *DB) stopCommitter() {
	d.c.mu.Lock()
	if !d.c.closed {
		d.c.closed = true
		close(d.c.ops)
	}
	d.c.mu.Unlock()
	<-d.c.done
}

func (d *DB) commitLoop() {
	defer close(d.c.done)
	batch := make([]*op, 0, maxBatch)
	for first := range d.c.ops {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-d.c.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		d.commit(batch)
		clear(batch)
	}
}

// commit runs the batch in one transaction, or each write alone if that fails.
func (d *DB) commit(batch []*op) {
	results := make([]error, len(batch))
	writes, wakes := 0, false
	for i, o := range batch {
		if o.fn == nil {
			continue
		}
		if err := o.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		writes++
	}
	if writes > 0 {
		err := d.tx(func(tx *sql.Tx) error {
			for i, o := range batch {
				if o.fn == nil || results[i] != nil {
					continue
				}
				if err := o.fn(tx); err != nil {
					if !soft(err) {
						return err
					}
					results[i] = err
				}
			}
			return nil
		})
		if err != nil {
			// Each write alone: the failing one fails, the others commit.
			for i, o := range batch {
				if o.fn == nil || results[i] != nil && !soft(results[i]) {
					continue
				}
				results[i] = d.tx(o.fn)
			}
		}
	}
	for i, o := range batch {
		if o.fn != nil && results[i] == nil && o.wakes {
			wakes = true
		}
	}
	if wakes {
		d.signal()
	}
	for i, o := range batch {
		switch {
		case o.done != nil:
			o.done <- results[i]
		case results[i] != nil:
			d.c.failMu.Lock()
			if d.c.failed == nil {
				d.c.failed = results[i]
			}
			d.c.failMu.Unlock()
		}
	}
}

// soft reports an error after which a write has written nothing.
func soft(err error) bool {
	return errors.Is(err, webhook.ErrNotFound) || errors.Is(err, webhook.ErrConflict)
}

// tx runs fn in one immediate transaction, committing when it returns nil.
func (d *DB) tx(fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
