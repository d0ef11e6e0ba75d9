package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var _ webhook.DeliveryLog = (*DB)(nil)

// Record stores one attempt. An entry without CreatedAt is stamped now; it
// expires LogTTL after CreatedAt. Every few hundred calls Record also deletes
// expired entries, as DynamoDB's TTL would; queries never return them anyway.
//
// Record queues the row for the committer and returns without waiting for
// its commit: the row joins the transaction of the settles around it, and the
// attempt's ack, queued after it, commits with it or later, so a job acked
// after a crash always has its row (a crash before loses both, and the job is
// attempted and logged again). Queries wait for the rows queued before them. A
// failed write is returned by a later Record.
func (d *DB) Record(ctx context.Context, e webhook.LogEntry) error {
	ctx = context.WithoutCancel(ctx) // the row is written after Record returns
	if e.CreatedAt == 0 {
		e.CreatedAt = d.now().UnixMilli()
	}
	expires := e.CreatedAt + d.logTTL.Milliseconds()
	prune := d.records.Add(1)%pruneEvery == 0
	err := d.writeLater(ctx, func(tx *sql.Tx) error {
		_, err := d.exec(ctx, tx, `insert into deliveries (hook_id, delivery_id, event_id, event,
			attempt, result, status, latency_ms, error, request, response, created_at, expires_at)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.HookID, e.DeliveryID, e.EventID, string(e.Event), e.Attempt, string(e.Result), e.Status,
			e.LatencyMs, e.Error, e.Request, e.Response, e.CreatedAt, expires)
		if err != nil {
			return fmt.Errorf("record delivery %s of hook %s: %w", e.DeliveryID, e.HookID, err)
		}
		if prune {
			return d.pruneTx(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record delivery %s of hook %s: %w", e.DeliveryID, e.HookID, err)
	}
	if err := d.takeFailure(); err != nil {
		return fmt.Errorf("an earlier delivery-log write failed: %w", err)
	}
	return nil
}

// Query returns the hook's unexpired entries within q's bounds, newest first.
func (d *DB) Query(ctx context.Context, q webhook.LogQuery) ([]webhook.LogEntry, error) {
	now := d.now().UnixMilli()
	until := now
	if !q.Until.IsZero() {
		until = q.Until.UnixMilli()
	}
	var since int64 = math.MinInt64
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	if err := d.flush(ctx); err != nil {
		return nil, fmt.Errorf("query delivery log of hook %s: %w", q.HookID, err)
	}
	var sb strings.Builder
	sb.WriteString(`select hook_id, delivery_id, event_id, event, attempt, result, status,
		latency_ms, error, request, response, created_at from deliveries
		where hook_id = ? and created_at >= ? and created_at <= ? and expires_at > ?`)
	args := []any{q.HookID, since, until, now}
	if q.FailedOnly {
		sb.WriteString(` and result <> ?`)
		args = append(args, string(webhook.ResultSuccess))
	}
	sb.WriteString(` order by created_at desc, seq desc`)
	if q.Limit > 0 {
		sb.WriteString(` limit ?`)
		args = append(args, q.Limit)
	}
	rows, err := d.db.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("query delivery log of hook %s: %w", q.HookID, err)
	}
	defer rows.Close()
	entries := []webhook.LogEntry{}
	for rows.Next() {
		var e webhook.LogEntry
		if err := rows.Scan(&e.HookID, &e.DeliveryID, &e.EventID, &e.Event, &e.Attempt, &e.Result,
			&e.Status, &e.LatencyMs, &e.Error, &e.Request, &e.Response, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("query delivery log of hook %s: %w", q.HookID, err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query delivery log of hook %s: %w", q.HookID, err)
	}
	return entries, nil
}

// Stats counts the hook's unexpired attempts created at or after since (as the other backends).
func (d *DB) Stats(ctx context.Context, hookID string, since time.Time) (webhook.Stats, error) {
	var s webhook.Stats
	if err := d.flush(ctx); err != nil {
		return s, fmt.Errorf("delivery stats of hook %s: %w", hookID, err)
	}
	err := d.db.QueryRowContext(ctx, `select count(*), coalesce(sum(result = ?), 0) from deliveries
		where hook_id = ? and created_at >= ? and expires_at > ?`,
		string(webhook.ResultSuccess), hookID, since.UnixMilli(), d.now().UnixMilli()).
		Scan(&s.RequestCount, &s.SuccessCount)
	if err != nil {
		return webhook.Stats{}, fmt.Errorf("delivery stats of hook %s: %w", hookID, err)
	}
	return s, nil
}

// prune deletes expired log entries.
func (d *DB) prune(ctx context.Context) error {
	return d.write(ctx, d.pruneTx)
}

func (d *DB) pruneTx(tx *sql.Tx) error {
	if _, err := tx.Exec(`delete from deliveries where expires_at <= ?`, d.now().UnixMilli()); err != nil {
		return fmt.Errorf("prune delivery log: %w", err)
	}
	return nil
}
