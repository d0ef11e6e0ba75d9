package embedded

import (
	"context"
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
	sources, err := sourcesTable.list(ctx, d.db)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return sources, nil
}

// GetSource returns the source with id, or an error wrapping webhook.ErrNotFound.
func (d *DB) GetSource(ctx context.Context, id string) (webhook.Source, error) {
	s, err := sourcesTable.get(ctx, d.db, id)
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, err)
	}
	return s, nil
}

// PutSource creates s, or replaces the stored source if it still has
// s.Version, storing Version s.Version+1, as for hooks (docTable.put).
func (d *DB) PutSource(ctx context.Context, s webhook.Source) error {
	if err := sourcesTable.put(ctx, d, s); err != nil {
		return fmt.Errorf("put source %s: %w", s.ID, err)
	}
	return nil
}

// DeleteSource removes the source, or returns an error wrapping webhook.ErrNotFound.
func (d *DB) DeleteSource(ctx context.Context, id string) error {
	if err := sourcesTable.delete(ctx, d, id); err != nil {
		return fmt.Errorf("delete source %s: %w", id, err)
	}
	return nil
}
