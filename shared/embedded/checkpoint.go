package embedded

import (
	"context"
	"time"
)

// Checkpoints. SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold (1,000 WAL pages), copying pages into the database
// file and, with synchronous=NORMAL, fsyncing it: a commit every few hundred
// paid milliseconds, which the jobs waiting on that commit (and the idle
// latency's p99) paid with it. The committer's connection therefore never
// checkpoints; this goroutine does, beside it on another connection, in
// PASSIVE mode, which never blocks the writer or readers.

// checkpointEvery is how often the checkpointer runs while the DB is open.
const checkpointEvery = 250 * time.Millisecond

func (d *DB) startCheckpointer() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	d.stopCheckpointer = func() { cancel(); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A failure (the file is busy in another process's
				// checkpoint) is retried on the next tick.
				_, _ = d.db.ExecContext(ctx, `pragma wal_checkpoint(PASSIVE)`)
			}
		}
	}()
}
