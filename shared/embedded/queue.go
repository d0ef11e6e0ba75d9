package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"maragu.dev/goqite"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var (
	_ webhook.Sender      = (*DB)(nil)
	_ webhook.Consumer    = (*DB)(nil)
	_ webhook.DeadLetters = (*DB)(nil)
)

// How the queue counts attempts. goqite does not report how often a message was
// received, but its table does: the received column, which Receive reads in the
// same transaction. A job's attempt number is Job.Attempt (attempts made before
// the job was last sent: Retry re-sends it) plus received (receives since). A job
// whose worker died without Ack or Retry is received again after the visibility
// timeout with received one higher, so crashes count as attempts and a job that
// kills its worker lands in the dead-letter queue like any other failing job.

// sendChunk is how many jobs Send writes per transaction. Each transaction
// holds the database's write lock; a few milliseconds of inserts per chunk let
// other producers' requests and the delivery workers in between, where one
// transaction for a large fan-out held it for seconds.
const sendChunk = 100

// Send enqueues the jobs, with Attempt reset to 0, in transactions of
// sendChunk jobs, encoding each chunk as it is written. If one fails, the
// chunks before it stay queued, as webhook.Sender allows.
func (d *DB) Send(ctx context.Context, jobs []webhook.Job) error {
	bodies := make([][]byte, 0, min(len(jobs), sendChunk))
	for start := 0; start < len(jobs); start += sendChunk {
		chunk := jobs[start:min(start+sendChunk, len(jobs))]
		bodies = bodies[:0]
		for _, j := range chunk {
			j.Attempt = 0
			b, err := webhook.EncodeJob(j)
			if err != nil {
				return fmt.Errorf("send job %s: %w", j.DeliveryID, err)
			}
			bodies = append(bodies, b)
		}
		err := d.writeWaking(ctx, func(tx *sql.Tx) error {
			for _, b := range bodies {
				if err := d.queue.SendTx(ctx, tx, goqite.Message{Body: b}); err != nil {
					return err
				}
			}
			return nil
		}, true)
		if err != nil {
			return fmt.Errorf("send %d jobs (%d queued): %w", len(jobs), start, err)
		}
	}
	return nil
}

// Receive returns up to limit visible jobs, hiding each for the visibility
// timeout, all taken in one transaction. When none is visible it waits until one
// is or wait has passed (then it returns none and no error), as SQS long
// polling does: a Send or Redrive through this DB wakes it as soon as it
// commits; jobs becoming visible otherwise (a delay ending, a visibility
// timeout, another process's send) are found by polling every PollInterval; it returns ctx's
// error if ctx ends first. A job whose next attempt would exceed MaxAttempts
// (a worker died during its last one) is moved to the dead-letter queue instead
// of being returned, as SQS's redrive policy does; so is a message that is not
// a JSON job. Message.Job.Attempt is Message.Attempt - 1.
func (d *DB) Receive(ctx context.Context, limit int, wait time.Duration) ([]webhook.Message, error) {
	limit = max(limit, 1)
	deadline := time.Now().Add(wait)
	for {
		// Taken before looking, so a commit between the look and the wait
		// still ends the wait.
		woken := d.woken()
		msgs, err := d.receive(ctx, limit)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(min(d.poll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-woken:
			t.Stop()
		case <-t.C:
		}
	}
}

func (d *DB) receive(ctx context.Context, limit int) ([]webhook.Message, error) {
	var msgs []webhook.Message
	err := d.write(ctx, func(tx *sql.Tx) error {
		msgs = msgs[:0]
		taken, err := d.take(ctx, tx, limit)
		if err != nil {
			return err
		}
		for _, m := range taken {
			j, err := webhook.DecodeJob(m.body)
			if err != nil {
				if err := d.moveDead(ctx, tx, m.id, m.body); err != nil {
					return err
				}
				continue
			}
			attempt := j.Attempt + m.received
			j.Attempt = attempt - 1
			if attempt > d.maxAttempts {
				if err := d.moveDeadJob(ctx, tx, m.id, j); err != nil {
					return err
				}
				continue
			}
			msgs = append(msgs, webhook.Message{Job: j, Receipt: receipt(m.id, m.received), Attempt: attempt})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("receive jobs: %w", err)
	}
	return msgs, nil
}

// taken is one message take received.
type taken struct {
	id       goqite.ID
	body     []byte
	received int
}

// takeSQL is goqite's ReceiveTx for SQLite, limit messages at a time and
// returning the receive count, which goqite keeps but does not return: the
// same table, columns, order and time format (goqite's rfc3339Milli). One
// prepared statement per receive, where goqite's took a statement parsed
// anew per message plus a lookup of its count; receives run on the single
// writer (commit.go), which was the dev pipeline's bottleneck.
const takeSQL = `update goqite
	set timeout = ?, received = received + 1
	where id in (
		select id from goqite
		where queue = ? and ? >= timeout
		order by priority desc, created
		limit ?
	)
	returning id, body, received`

// rfc3339Milli is goqite's time format in its timeout and created columns.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// take hides up to limit visible messages of the queue for the visibility
// timeout, counting a receive for each, and returns them.
func (d *DB) take(ctx context.Context, tx *sql.Tx, limit int) ([]taken, error) {
	now := time.Now().UTC()
	rows, err := d.query(ctx, tx, takeSQL, now.Add(d.visibility).Format(rfc3339Milli), queueName, now.Format(rfc3339Milli), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taken
	for rows.Next() {
		var m taken
		if err := rows.Scan(&m.id, &m.body, &m.received); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

// received reads a message's receive count, which goqite keeps in its table
// but does not return: raw SQL, a prepared point lookup by primary key. An
// error wrapping sql.ErrNoRows says the message is gone.
func (d *DB) received(ctx context.Context, tx *sql.Tx, queue string, id goqite.ID) (int, error) {
	rows, err := d.query(ctx, tx, `select received from goqite where queue = ? and id = ?`, queue, id)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, sql.ErrNoRows
	}
	var n int
	if err := rows.Scan(&n); err != nil {
		return 0, err
	}
	return n, rows.Close()
}

// Ack deletes the job. It does so even when the receipt is stale (the job was
// received again since), because the job has been delivered.
func (d *DB) Ack(ctx context.Context, m webhook.Message) error {
	id, _, err := parseReceipt(m.Receipt)
	if err != nil {
		return fmt.Errorf("ack job %s: %w", m.Job.DeliveryID, err)
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		return d.queue.DeleteTx(ctx, tx, id)
	})
	if err != nil {
		return fmt.Errorf("ack job %s: %w", m.Job.DeliveryID, err)
	}
	return nil
}

// Retry makes m's job visible again after delay, as the attempt after
// m.Attempt; once m.Attempt reaches MaxAttempts it moves the job to the
// dead-letter queue instead. It re-sends m.Job (not a copy read back from the
// table). A stale receipt (the visibility timeout passed and the job was
// received again, or it is gone) changes nothing and gives an error wrapping
// webhook.ErrNotFound: the job's current holder decides its fate.
func (d *DB) Retry(ctx context.Context, m webhook.Message, delay time.Duration) error {
	if m.Attempt >= d.maxAttempts {
		return d.resend(ctx, "retry", m, m.Attempt, d.dead, 0)
	}
	return d.resend(ctx, "retry", m, m.Attempt, d.queue, delay)
}

// DeadLetter moves m's job to the dead-letter queue at once, for jobs that can
// never be delivered or whose hook allows fewer attempts than the queue (the
// webhook.Consumer's DeadLetter). A stale receipt gives an error wrapping
// webhook.ErrNotFound, as in Retry.
func (d *DB) DeadLetter(ctx context.Context, m webhook.Message) error {
	return d.resend(ctx, "dead-letter", m, m.Attempt, d.dead, 0)
}

// resend replaces the job of m's receipt with m.Job carrying attempts, sent to
// q after delay, in one transaction (held): what Retry, Defer and DeadLetter
// have in common. It re-sends m.Job, not a copy read back from the table.
func (d *DB) resend(ctx context.Context, what string, m webhook.Message, attempts int, q *goqite.Queue, delay time.Duration) error {
	j := m.Job
	j.Attempt = attempts
	body, err := webhook.EncodeJob(j)
	if err == nil {
		err = d.held(ctx, m.Receipt, func(tx *sql.Tx) error {
			return q.SendTx(ctx, tx, goqite.Message{Body: body, Delay: max(delay, 0)})
		})
	}
	if err != nil {
		return fmt.Errorf("%s job %s: %w", what, m.Job.DeliveryID, err)
	}
	return nil
}

// held deletes the job of receipt and runs fn in the same transaction if
// receipt is the latest receive of a job still in the queue, and returns an
// error wrapping webhook.ErrNotFound (having written nothing) if not. goqite
// has no conditional delete, so the check is a read of the receive count
// before goqite's DeleteTx; the immediate transaction holds the write lock, so
// nothing can receive the job in between.
func (d *DB) held(ctx context.Context, receipt string, fn func(tx *sql.Tx) error) error {
	id, received, err := parseReceipt(receipt)
	if err != nil {
		return err
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		now, err := d.received(ctx, tx, queueName, id)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && now != received) {
			return fmt.Errorf("receipt %q is stale: %w", receipt, webhook.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := d.queue.DeleteTx(ctx, tx, id); err != nil {
			return err
		}
		return fn(tx)
	})
}

// ListDead returns the dead-lettered jobs matching f, oldest first (at most
// limit; 0: all). Messages that are not JSON jobs are skipped.
func (d *DB) ListDead(ctx context.Context, f webhook.DeadFilter, limit int) ([]webhook.Job, error) {
	dead, err := d.deadJobs(ctx, f, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	jobs := make([]webhook.Job, len(dead))
	for i, dj := range dead {
		jobs[i] = dj.job
	}
	return jobs, nil
}

// redriveBatch is how many jobs Redrive moves per transaction.
const redriveBatch = 100

// Redrive moves the dead-lettered jobs matching f back to the delivery queue
// with Attempt 0, a batch per transaction, calling progress (if not nil) with
// the running count after each job once its batch is committed.
func (d *DB) Redrive(ctx context.Context, f webhook.DeadFilter, progress func(moved int)) (int, error) {
	dead, err := d.deadJobs(ctx, f, 0)
	if err != nil {
		return 0, fmt.Errorf("redrive dead jobs: %w", err)
	}
	moved := 0
	for start := 0; start < len(dead); start += redriveBatch {
		batch := dead[start:min(start+redriveBatch, len(dead))]
		n := 0
		err := d.writeWaking(ctx, func(tx *sql.Tx) error {
			n = 0
			for _, dj := range batch {
				// Raw SQL: goqite's DeleteTx does not say whether it
				// deleted anything, and a job another redrive took
				// must not be sent twice.
				res, err := d.exec(ctx, tx, `delete from goqite where queue = ? and id = ?`, deadName, dj.id)
				if err != nil {
					return err
				}
				if k, err := res.RowsAffected(); err != nil {
					return err
				} else if k == 0 {
					continue // another redrive took it
				}
				j := dj.job
				j.Attempt, j.QueuedAt = 0, time.Now().UnixMilli() // a fresh schedule
				body, err := webhook.EncodeJob(j)
				if err != nil {
					return err
				}
				if err := d.queue.SendTx(ctx, tx, goqite.Message{Body: body}); err != nil {
					return err
				}
				n++
			}
			return nil
		}, true)
		if err != nil {
			return moved, fmt.Errorf("redrive dead jobs (%d moved): %w", moved, err)
		}
		for range n {
			moved++
			if progress != nil {
				progress(moved)
			}
		}
	}
	return moved, nil
}

type deadJob struct {
	id  goqite.ID
	job webhook.Job
}

// deadJobs lists the dead-letter queue's jobs matching f: raw SQL, as goqite
// can only receive messages, not list them.
func (d *DB) deadJobs(ctx context.Context, f webhook.DeadFilter, limit int) ([]deadJob, error) {
	rows, err := d.db.QueryContext(ctx, `select id, body from goqite where queue = ? order by created, rowid`, deadName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var dead []deadJob
	for rows.Next() && (limit <= 0 || len(dead) < limit) {
		var dj deadJob
		var body []byte
		if err := rows.Scan(&dj.id, &body); err != nil {
			return nil, err
		}
		var err error
		if dj.job, err = webhook.DecodeJob(body); err != nil || !f.Match(dj.job) {
			continue
		}
		dead = append(dead, dj)
	}
	return dead, rows.Err()
}

// moveDeadJob moves the job with id to the dead-letter queue, storing j (whose
// Attempt says how many attempts were made).
func (d *DB) moveDeadJob(ctx context.Context, tx *sql.Tx, id goqite.ID, j webhook.Job) error {
	body, err := webhook.EncodeJob(j)
	if err != nil {
		return err
	}
	return d.moveDead(ctx, tx, id, body)
}

func (d *DB) moveDead(ctx context.Context, tx *sql.Tx, id goqite.ID, body []byte) error {
	if err := d.queue.DeleteTx(ctx, tx, id); err != nil {
		return fmt.Errorf("dead-letter: %w", err)
	}
	if err := d.dead.SendTx(ctx, tx, goqite.Message{Body: body}); err != nil {
		return fmt.Errorf("dead-letter: %w", err)
	}
	return nil
}

// receipt names one receive of a message: its id and receive count, so a
// receipt from an earlier receive can be told apart (see Retry).
func receipt(id goqite.ID, received int) string {
	return string(id) + "/" + strconv.Itoa(received)
}

func parseReceipt(r string) (goqite.ID, int, error) {
	id, n, ok := strings.Cut(r, "/")
	received, err := strconv.Atoi(n)
	if !ok || id == "" || err != nil {
		return "", 0, fmt.Errorf("invalid receipt %q", r)
	}
	return goqite.ID(id), received, nil
}
