package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// docTable is a table of JSON documents (hooks, sources) keyed by id, listed
// newest first, and written optimistically: every write is based on the
// version it read, checked by the write's own WHERE clause, so it holds against
// any other process writing the file (a CLI beside webhooks dev). Storing the
// document whole means a new field needs no migration.
type docTable[T any] struct {
	// name is the SQL table (id text primary key, created_at integer, doc text).
	name string
	// meta returns the document's id, creation time and a pointer to its
	// version.
	meta func(*T) (id string, createdAt int64, version *int64)
}

// querier is what reads need of *sql.DB and *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// versionIs is the condition of a versioned write; a document without a
// version (written before versions existed) is version 0.
func (t docTable[T]) versionIs() string {
	return `coalesce(json_extract(` + t.name + `.doc, '$.version'), 0) = ?`
}

func (t docTable[T]) list(ctx context.Context, db *sql.DB) ([]T, error) {
	rows, err := db.QueryContext(ctx, `select doc from `+t.name+` order by created_at desc, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// get returns the document with id, or webhook.ErrNotFound.
func (t docTable[T]) get(ctx context.Context, q querier, id string) (T, error) {
	var v T
	var doc []byte
	err := q.QueryRowContext(ctx, `select doc from `+t.name+` where id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return v, webhook.ErrNotFound
	}
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("decode: %w", err)
	}
	return v, nil
}

// put creates v (version 0: nothing stored, or a document without a version)
// or replaces the stored one if it still has v's version, storing version+1.
// A write that matches nothing answers ErrNotFound (the document is gone) or
// ErrConflict (it has another version).
func (t docTable[T]) put(ctx context.Context, d *DB, v T) error {
	id, createdAt, version := t.meta(&v)
	if id == "" {
		return errors.New("empty id")
	}
	read := *version
	*version++
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if read == 0 {
			res, err = tx.ExecContext(ctx, `insert into `+t.name+` (id, created_at, doc) values (?, ?, ?)
				on conflict (id) do update set created_at = excluded.created_at, doc = excluded.doc
				where `+t.versionIs(), id, createdAt, string(doc), read)
		} else {
			res, err = tx.ExecContext(ctx, `update `+t.name+` set created_at = ?, doc = ? where id = ? and `+t.versionIs(),
				createdAt, string(doc), id, read)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		stored, err := t.get(ctx, tx, id)
		if err != nil {
			return err
		}
		_, _, now := t.meta(&stored)
		return fmt.Errorf("at version %d (stored: %d): %w", read, *now, webhook.ErrConflict)
	})
}

// update applies change to the stored document and writes it back with the
// version incremented, if change returns true. Read and write share one
// transaction under SQLite's write lock, so concurrent updates of different
// fields do not overwrite each other, and the new version makes every put
// based on the old one conflict.
func (t docTable[T]) update(ctx context.Context, d *DB, id string, change func(*T) bool) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		v, err := t.get(ctx, tx, id)
		if err != nil || !change(&v) {
			return err
		}
		_, _, version := t.meta(&v)
		*version++
		doc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `update `+t.name+` set doc = ? where id = ?`, string(doc), id)
		return err
	})
}

// delete removes the document, or answers webhook.ErrNotFound.
func (t docTable[T]) delete(ctx context.Context, d *DB, id string) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from `+t.name+` where id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return webhook.ErrNotFound
		}
		return nil
	})
}

// hooks and sources are the two document tables.
var (
	hooksTable = docTable[webhook.Hook]{name: "hooks", meta: func(h *webhook.Hook) (string, int64, *int64) {
		return h.ID, h.CreatedAt, &h.Version
	}}
	sourcesTable = docTable[webhook.Source]{name: "sources", meta: func(s *webhook.Source) (string, int64, *int64) {
		return s.ID, s.CreatedAt, &s.Version
	}}
)
