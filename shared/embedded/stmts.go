package embedded

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. Parsing SQL costs the pure-Go SQLite more than running a
// small insert does, so our own statements on the hot path (the batch receive,
// the receive count read on retries, the delivery log) are prepared
// once per DB and reused on each of the pool's connections; database/sql
// re-prepares a statement on a connection that has not seen it. goqite's own
// statements are not: its *Tx methods pass SQL text to the transaction, which
// the driver parses on every call.
type stmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns the statement for query, preparing it on first use.
func (d *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	d.st.mu.Lock()
	defer d.st.mu.Unlock()
	if s, ok := d.st.m[query]; ok {
		return s, nil
	}
	s, err := d.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if d.st.m == nil {
		d.st.m = map[string]*sql.Stmt{}
	}
	d.st.m[query] = s
	return s, nil
}

// exec runs the prepared query in tx.
func (d *DB) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
}

// query runs the prepared query in tx.
func (d *DB) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	s, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
}

// closeStmts closes the prepared statements.
func (d *DB) closeStmts() {
	d.st.mu.Lock()
	defer d.st.mu.Unlock()
	for _, s := range d.st.m {
		_ = s.Close()
	}
	d.st.m = nil
}
