// Package embedded is the default backend of `webhooks dev` and of local use: hooks,
// the delivery queue with its dead-letter queue, and the delivery log, all in one
// SQLite file opened through the pure-Go modernc.org/sqlite driver (no cgo). The
// queue is maragu.dev/goqite, driven through its transaction-taking methods so
// its writes share the committer's transactions (commit.go); this package adds
// what SQS gives the AWS backend: receive counts, a redrive to the dead-letter
// queue, and long polling (docs/architecture.md §7).
package embedded

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"maragu.dev/goqite"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Defaults of Options' zero values.
const (
	// DefaultMaxAttempts is the attempt count of the default retry schedule
	// (docs/architecture.md §5: attempts at 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
	DefaultMaxAttempts = 8
	// DefaultVisibility hides a received job this long, as the SQS queue's
	// visibility timeout does.
	DefaultVisibility = 60 * time.Second
	// DefaultLogTTL keeps delivery-log entries as long as the DynamoDB TTL does.
	DefaultLogTTL = 14 * 24 * time.Hour
)

// Options configures Open. Every zero value selects a default.
type Options struct {
	// MaxAttempts is how many attempts a job gets before it moves to the
	// dead-letter queue: the retry schedule's attempt count, like the SQS
	// queue's maxReceiveCount. 0: DefaultMaxAttempts.
	MaxAttempts int
	// Visibility hides a received job until it is acked or retried; a job
	// whose worker died reappears after it. 0: DefaultVisibility.
	Visibility time.Duration
	// LogTTL is how long delivery-log entries live. 0: DefaultLogTTL.
	LogTTL time.Duration
	// PollInterval is how often Receive looks for jobs while it waits, for
	// those no Send of this DB announces (a delay or visibility timeout
	// ending, another process's send). 0: 50 ms.
	PollInterval time.Duration
	// Now is the delivery log's clock (its TTL and "now" bounds). nil: time.Now.
	// The queue's timing is goqite's and always uses the wall clock.
	Now func() time.Time
}

// Queue names in goqite's table. The dead-letter queue is a second name in the
// same table, so moving a job there is one transaction.
const (
	queueName = "deliveries"
	deadName  = "deliveries-dlq"
)

// pruneEvery is how many Record calls pass between deletions of expired log rows.
const pruneEvery = 256

// DB is one open SQLite file holding every store of the embedded backend. It
// implements webhook.HookStore, webhook.DeliveryLog, webhook.Sender,
// webhook.Consumer and webhook.DeadLetters, and is safe for concurrent use.
// Several DBs (or processes) may open the same file; SQLite's locks and a busy
// timeout serialise their writes.
type DB struct {
	db          *sql.DB
	visibility  time.Duration
	maxAttempts int
	logTTL      time.Duration
	poll        time.Duration
	now         func() time.Time

	// queue and dead are goqite's queues on the same table; every call goes
	// through their *Tx methods, inside the committer's transactions, except
	// receives: take runs their receive SQL a batch at a time (queue.go).
	queue, dead *goqite.Queue

	// c is the single writer (commit.go): goroutines queue their writes for
	// it instead of waiting in SQLite's sleeping busy handler, and the writes
	// waiting together share one transaction.
	c  *committer
	st stmts
	// stopCheckpointer ends the checkpoint goroutine (checkpoint.go).
	stopCheckpointer func()
	records          atomic.Uint64
}

// Open opens (creating it and its parent directories if needed) the SQLite file
// at path and brings its schema up to date. The path must not contain '?'.
func Open(path string, opts Options) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open embedded database: invalid path %q", path)
	}
	if opts.MaxAttempts < 0 || opts.Visibility < 0 || opts.LogTTL < 0 || opts.PollInterval < 0 {
		return nil, errors.New("open embedded database: options must not be negative")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open embedded database: %w", err)
	}
	// WAL lets readers (queries, hook reads) run beside the single writer and
	// makes a commit one append to the WAL file. synchronous=NORMAL does not
	// fsync on commit, only at checkpoints: a commit is durable once it is in
	// the OS, so killing the process (kill -9, a crash, an OOM kill) loses
	// nothing committed, which is what the queue promises; a power cut or an OS
	// crash may roll back the last commits (never corrupt the file), so a few
	// jobs acked just before it would be delivered again and a few sent just
	// before it lost, as the producer got its 202. FULL would close that gap at
	// an fsync per commit (milliseconds each: batches would grow to hide it,
	// and idle latency would not); OFF would save the checkpoints' fsyncs and
	// risk a corrupt file on power loss. A laptop's `webhooks dev` is not
	// worth either. Immediate transactions take the write lock up front, so
	// other processes on the same file wait for the busy timeout instead of
	// failing when a read lock cannot be upgraded. Checkpoints run beside the
	// writer, not in its commits (checkpoint.go).
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open embedded database %s: %w", path, err)
	}
	d := &DB{
		db:          sqlDB,
		maxAttempts: cmp.Or(opts.MaxAttempts, DefaultMaxAttempts),
		logTTL:      cmp.Or(opts.LogTTL, DefaultLogTTL),
		poll:        cmp.Or(opts.PollInterval, 50*time.Millisecond),
		now:         opts.Now,
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.visibility = cmp.Or(opts.Visibility, DefaultVisibility)
	// goqite would stop handing out a job after MaxReceive receives and leave
	// it in the table for ever; Receive dead-letters a job that used its
	// attempts itself (counting the attempts it carries, which goqite cannot
	// see), so goqite's own limit must never be reached.
	d.queue = goqite.New(goqite.NewOpts{DB: sqlDB, Name: queueName, Timeout: d.visibility, MaxReceive: 1 << 30})
	d.dead = goqite.New(goqite.NewOpts{DB: sqlDB, Name: deadName, Timeout: d.visibility, MaxReceive: 1 << 30})
	d.startCommitter()

	ctx := context.Background()
	if err := d.migrate(ctx); err != nil {
		d.stopCommitter()
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open embedded database %s: %w", path, err)
	}
	if err := d.prune(ctx); err != nil {
		d.stopCommitter()
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open embedded database %s: %w", path, err)
	}
	d.startCheckpointer()
	return d, nil
}

// Close commits the writes already queued (the delivery log's included) and
// closes the database file. Jobs received and not yet acked reappear after the
// visibility timeout when the file is opened again.
func (d *DB) Close() error {
	d.stopCheckpointer()
	d.stopCommitter()
	d.closeStmts()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close embedded database: %w", err)
	}
	return nil
}

// schema is goqite v0.4.0's schema_sqlite.sql made idempotent ("if not
// exists": the package does not export the file, so it is copied here and
// TestSchemaIsGoqites compares the two), then our tables.
// The hook is stored as its JSON document, so new Hook fields need no migration.
const schema = `
create table if not exists goqite (
  id text primary key default ('m_' || lower(hex(randomblob(16)))),
  created text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  updated text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  queue text not null,
  body blob not null,
  timeout text not null default (strftime('%Y-%m-%dT%H:%M:%fZ')),
  received integer not null default 0,
  priority integer not null default 0
) strict;

create trigger if not exists goqite_updated_timestamp after update on goqite begin
  update goqite set updated = strftime('%Y-%m-%dT%H:%M:%fZ') where id = old.id;
end;

create index if not exists goqite_queue_priority_created_idx on goqite (queue, priority desc, created);

create table if not exists hooks (
  id text primary key,
  created_at integer not null,
  doc text not null
) strict;

create index if not exists hooks_created_idx on hooks (created_at desc, id);

create table if not exists deliveries (
  seq integer primary key,
  hook_id text not null,
  delivery_id text not null,
  event_id text not null,
  event text not null,
  attempt integer not null,
  result text not null,
  status integer not null,
  latency_ms integer not null,
  error text not null,
  request text not null,
  response text not null,
  created_at integer not null,
  expires_at integer not null
) strict;

create index if not exists deliveries_hook_created_idx on deliveries (hook_id, created_at desc);
create index if not exists deliveries_expires_idx on deliveries (expires_at);

pragma user_version = 1;
`

func (d *DB) migrate(ctx context.Context) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		var version int
		if err := tx.QueryRowContext(ctx, "pragma user_version").Scan(&version); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > 1 {
			return fmt.Errorf("schema version %d is newer than this program (1)", version)
		}
		if _, err := tx.ExecContext(ctx, schema+sourcesSchema); err != nil {
			return fmt.Errorf("apply schema: %w", err)
		}
		return nil
	})
}
