package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var _ webhook.HookStore = (*DB)(nil)

// ListHooks returns every hook, newest first (createdAt desc, then id).
func (d *DB) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	rows, err := d.db.QueryContext(ctx, `select doc from hooks order by created_at desc, id`)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	defer rows.Close()
	hooks := []webhook.Hook{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list hooks: %w", err)
		}
		var h webhook.Hook
		if err := json.Unmarshal(doc, &h); err != nil {
			return nil, fmt.Errorf("list hooks: decode: %w", err)
		}
		hooks = append(hooks, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	return hooks, nil
}

// GetHook returns the hook with id, or an error wrapping webhook.ErrNotFound.
func (d *DB) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	h, err := getHook(ctx, d.db, id)
	if err != nil {
		return webhook.Hook{}, fmt.Errorf("get hook %s: %w", id, err)
	}
	return h, nil
}

// PutHook creates h, or replaces the stored hook if it still has h.Version,
// storing Version h.Version+1. The version check is the write's own WHERE
// clause, so it holds whoever else writes the file (a CLI beside webhooks dev).
func (d *DB) PutHook(ctx context.Context, h webhook.Hook) error {
	if h.ID == "" {
		return errors.New("put hook: empty id")
	}
	read := h.Version
	h.Version++
	doc, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("put hook %s: %w", h.ID, err)
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if read == 0 {
			res, err = tx.ExecContext(ctx, `insert into hooks (id, created_at, doc) values (?, ?, ?)
				on conflict (id) do update set created_at = excluded.created_at, doc = excluded.doc
				where `+versionIs, h.ID, h.CreatedAt, string(doc), read)
		} else {
			res, err = tx.ExecContext(ctx, `update hooks set created_at = ?, doc = ? where id = ? and `+versionIs,
				h.CreatedAt, string(doc), h.ID, read)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return staleWrite(ctx, tx, h.ID, read)
	})
	if err != nil {
		return fmt.Errorf("put hook %s: %w", h.ID, err)
	}
	return nil
}

// versionIs is the condition of a versioned write; a document without a
// version (written before versions existed) is version 0.
const versionIs = `coalesce(json_extract(hooks.doc, '$.version'), 0) = ?`

// staleWrite explains a versioned write that matched no row: the hook is gone
// (ErrNotFound) or has another version (ErrConflict).
func staleWrite(ctx context.Context, q querier, id string, read int64) error {
	h, err := getHook(ctx, q, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("at version %d (stored: %d): %w", read, h.Version, webhook.ErrConflict)
}

// DeleteHook removes the hook, or returns an error wrapping webhook.ErrNotFound.
func (d *DB) DeleteHook(ctx context.Context, id string) error {
	err := d.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from hooks where id = ?`, id)
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
		return fmt.Errorf("delete hook %s: %w", id, err)
	}
	return nil
}

// SetEnabled sets Enabled and DisabledReason and nothing else. The read and
// the write share one immediate transaction, which holds SQLite's write lock,
// so no other writer's change to the hook can be lost in between.
func (d *DB) SetEnabled(ctx context.Context, id string, enabled bool, reason string) error {
	if enabled {
		reason = ""
	}
	err := d.updateHook(ctx, id, func(h *webhook.Hook) bool {
		h.Enabled, h.DisabledReason = enabled, reason
		return true
	})
	if err != nil {
		return fmt.Errorf("set hook %s enabled=%t: %w", id, enabled, err)
	}
	return nil
}

// SetFailingSince sets FailingSince if the hook has none (since > 0) or clears
// it (since == 0), and nothing else. Like SetEnabled, the read and the write
// share one transaction under SQLite's write lock, so the first failure wins.
func (d *DB) SetFailingSince(ctx context.Context, id string, since int64) error {
	if since < 0 {
		return fmt.Errorf("set hook %s failing since %d: negative time", id, since)
	}
	err := d.updateHook(ctx, id, func(h *webhook.Hook) bool {
		if since == h.FailingSince || since != 0 && h.FailingSince != 0 {
			return false // nothing to change, or already failing: the first failure wins
		}
		h.FailingSince = since
		return true
	})
	if err != nil {
		return fmt.Errorf("set hook %s failing since %d: %w", id, since, err)
	}
	return nil
}

// updateHook applies change to the stored hook and writes it back, with the
// version incremented, if change returns true. Read and write share one
// transaction under the write lock, so concurrent updates of different fields do
// not overwrite each other, and the new version makes every PutHook based on
// the old one conflict.
func (d *DB) updateHook(ctx context.Context, id string, change func(*webhook.Hook) bool) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		h, err := getHook(ctx, tx, id)
		if err != nil || !change(&h) {
			return err
		}
		h.Version++
		doc, err := json.Marshal(h)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `update hooks set doc = ? where id = ?`, string(doc), id)
		return err
	})
}

// querier is what getHook needs of *sql.DB and *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getHook(ctx context.Context, q querier, id string) (webhook.Hook, error) {
	var doc []byte
	err := q.QueryRowContext(ctx, `select doc from hooks where id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.Hook{}, webhook.ErrNotFound
	}
	if err != nil {
		return webhook.Hook{}, err
	}
	var h webhook.Hook
	if err := json.Unmarshal(doc, &h); err != nil {
		return webhook.Hook{}, fmt.Errorf("decode: %w", err)
	}
	return h, nil
}
