package embedded

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// The queue's statements on goqite's table (goqite v0.4.0's schema, which the
// file keeps so goqite can still read it). They are written here rather than
// through goqite's Queue so that a receive takes many jobs in one statement
// and a settle checks its receipt and deletes in one, inside the committer's
// shared transactions (commit.go).

// timeFormat is goqite's timestamp format: timestamps compare as text.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// insertJob queues body on queue, visible after delay.
func (d *DB) insertJob(ctx context.Context, tx *sql.Tx, queue string, body []byte, delay time.Duration) error {
	_, err := d.exec(ctx, tx, `insert into goqite (id, queue, body, timeout) values (?, ?, ?, ?)`,
		newID(), queue, body, stamp(time.Now().Add(max(delay, 0))))
	return err
}

// newID returns a message id in goqite's format ("m_" and 32 hex digits) whose
// first half grows with time: new rows land at the end of the primary-key
// index instead of at random pages of it, which is most of an insert's cost
// once the table outgrows SQLite's page cache. The random second half keeps
// ids unique across processes sharing the file.
func newID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano())+idSeq.Add(1))
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	return "m_" + hex.EncodeToString(b[:])
}

var idSeq atomic.Uint64

// rawMessage is one row taken by takeJobs.
type rawMessage struct {
	id       string
	body     []byte
	received int
}

// takeJobs hides up to limit visible jobs of queue for visibility and returns
// them with their receive counts (after this receive), oldest first.
func (d *DB) takeJobs(ctx context.Context, tx *sql.Tx, queue string, limit int, visibility time.Duration) ([]rawMessage, error) {
	now := time.Now()
	rows, err := d.query(ctx, tx, `update goqite set timeout = ?, received = received + 1
		where id in (select id from goqite where queue = ? and ? >= timeout order by priority desc, created limit ?)
		returning id, body, received, created`, stamp(now.Add(visibility)), queue, stamp(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type row struct {
		rawMessage
		created string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.body, &r.received, &r.created); err != nil {
			return nil, err
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING gives no order; hand them out oldest first as goqite does.
	out := make([]rawMessage, len(got))
	slices.SortStableFunc(got, func(a, b row) int { return strings.Compare(a.created, b.created) })
	for i, r := range got {
		out[i] = r.rawMessage
	}
	return out, nil
}

// deleteJob deletes the job unconditionally.
func (d *DB) deleteJob(ctx context.Context, tx *sql.Tx, queue, id string) error {
	_, err := d.exec(ctx, tx, `delete from goqite where queue = ? and id = ?`, queue, id)
	return err
}

// deleteHeld deletes the job if received is still its receive count: the
// receipt is its latest receive. Otherwise it writes nothing and returns an
// error wrapping webhook.ErrNotFound (a stale receipt, commit.go's soft error).
func (d *DB) deleteHeld(ctx context.Context, tx *sql.Tx, id string, received int, receipt string) error {
	res, err := d.exec(ctx, tx, `delete from goqite where queue = ? and id = ? and received = ?`, queueName, id, received)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("receipt %q is stale: %w", receipt, webhook.ErrNotFound)
	}
	return nil
}
