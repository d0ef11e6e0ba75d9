package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var _ webhook.SourceStore = (*DB)(nil)

// sourcesSchema is the sources table, beside hooks and in the same form: the
// source as its JSON document, so new Source fields need no migration.
const sourcesSchema = `
create table if not exists sources (
  id text primary key,
  created_at integer not null,
  doc text not null
) strict;
`

// ListSources returns every source, newest first (createdAt desc, then id).
func (d *DB) ListSources(ctx context.Context) ([]webhook.Source, error) {
	rows, err := d.db.QueryContext(ctx, `select doc from sources order by created_at desc, id`)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	defer rows.Close()
	sources := []webhook.Source{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list sources: %w", err)
		}
		var s webhook.Source
		if err := json.Unmarshal(doc, &s); err != nil {
			return nil, fmt.Errorf("list sources: decode: %w", err)
		}
		sources = append(sources, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return sources, nil
}

// GetSource returns the source with id, or an error wrapping webhook.ErrNotFound.
func (d *DB) GetSource(ctx context.Context, id string) (webhook.Source, error) {
	s, err := getSource(ctx, d.db, id)
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, err)
	}
	return s, nil
}

// PutSource creates s, or replaces the stored source if it still has
// s.Version, storing Version s.Version+1. As for hooks, the version check is
// the statement's own WHERE clause, so it holds against any other process
// writing the file.
func (d *DB) PutSource(ctx context.Context, s webhook.Source) error {
	if s.ID == "" {
		return errors.New("put source: empty id")
	}
	read := s.Version
	s.Version++
	doc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("put source %s: %w", s.ID, err)
	}
	const versionIs = `coalesce(json_extract(sources.doc, '$.version'), 0) = ?`
	err = d.write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if read == 0 {
			res, err = tx.ExecContext(ctx, `insert into sources (id, created_at, doc) values (?, ?, ?)
				on conflict (id) do update set created_at = excluded.created_at, doc = excluded.doc
				where `+versionIs, s.ID, s.CreatedAt, string(doc), read)
		} else {
			res, err = tx.ExecContext(ctx, `update sources set created_at = ?, doc = ? where id = ? and `+versionIs,
				s.CreatedAt, string(doc), s.ID, read)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		stored, err := getSource(ctx, tx, s.ID)
		if err != nil {
			return err
		}
		return fmt.Errorf("at version %d (stored: %d): %w", read, stored.Version, webhook.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("put source %s: %w", s.ID, err)
	}
	return nil
}

// DeleteSource removes the source, or returns an error wrapping webhook.ErrNotFound.
func (d *DB) DeleteSource(ctx context.Context, id string) error {
	err := d.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from sources where id = ?`, id)
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
	if err != nil {
		return fmt.Errorf("delete source %s: %w", id, err)
	}
	return nil
}

func getSource(ctx context.Context, q querier, id string) (webhook.Source, error) {
	var doc []byte
	err := q.QueryRowContext(ctx, `select doc from sources where id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Source{}, webhook.ErrNotFound
	}
	if err != nil {
		return webhook.Source{}, err
	}
	var s webhook.Source
	if err := json.Unmarshal(doc, &s); err != nil {
		return webhook.Source{}, fmt.Errorf("decode: %w", err)
	}
	return s, nil
}
