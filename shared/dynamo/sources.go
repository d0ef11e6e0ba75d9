package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SourceStore is a webhook.SourceStore on its own DynamoDB table keyed by
// "id" (template.yaml's SourcesTable). Sources are not items of the hooks
// table because every reader of that table scans it as hooks (the ingest
// cache, the CLI, hand-written items without a kind attribute), and because
// only the ingest function needs sources: its role alone reads the table.
type SourceStore struct {
	db    API
	table string
}

var _ webhook.SourceStore = (*SourceStore)(nil)

// NewSourceStore returns the store on table.
func NewSourceStore(db API, table string) *SourceStore {
	return &SourceStore{db: db, table: table}
}

// ListSources scans the table, newest first (ties by id).
func (s *SourceStore) ListSources(ctx context.Context) ([]webhook.Source, error) {
	sources, err := scanItems(ctx, s.db, s.table, decodeSource)
	if err != nil {
		return nil, fmt.Errorf("list sources: scan %s: %w", s.table, err)
	}
	slices.SortFunc(sources, func(a, b webhook.Source) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return sources, nil
}

// GetSource is one strongly consistent GetItem, so a key pasted with the CLI
// is used by the next relayed body.
func (s *SourceStore) GetSource(ctx context.Context, id string) (webhook.Source, error) {
	item, err := getItem(ctx, s.db, s.table, id)
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, err)
	}
	src, err := decodeSource(item)
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source: %w", err)
	}
	return src, nil
}

// PutSource writes src with Version src.Version+1 in one PutItem conditional
// on the stored version, as HookStore.PutHook does; the old item returned on a
// failed condition tells a conflict from a deletion.
func (s *SourceStore) PutSource(ctx context.Context, src webhook.Source) error {
	if src.ID == "" {
		return fmt.Errorf("put source: %w", &webhook.FieldError{Record: -1, Field: "id", Reason: "is required"})
	}
	read := src.Version
	src.Version++
	if err := putVersioned(ctx, s.db, s.table, encodeSource(src), read); err != nil {
		return fmt.Errorf("put source %s at version %d: %w", src.ID, read, err)
	}
	return nil
}

// DeleteSource deletes the source, or returns an error wrapping webhook.ErrNotFound.
func (s *SourceStore) DeleteSource(ctx context.Context, id string) error {
	if err := deleteItem(ctx, s.db, s.table, id); err != nil {
		return fmt.Errorf("delete source %s: %w", id, err)
	}
	return nil
}
