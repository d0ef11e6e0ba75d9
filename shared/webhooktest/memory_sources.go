package webhooktest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// MemorySourceStore is a webhook.SourceStore in memory. Sources hold no
// pointers, so values in and out are copies.
type MemorySourceStore struct {
	mu      sync.Mutex
	sources map[string]webhook.Source
}

var _ webhook.SourceStore = (*MemorySourceStore)(nil)

// NewMemorySourceStore returns an empty store.
func NewMemorySourceStore() *MemorySourceStore {
	return &MemorySourceStore{sources: map[string]webhook.Source{}}
}

// ListSources returns every source, newest first (ties by id).
func (s *MemorySourceStore) ListSources(context.Context) ([]webhook.Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]webhook.Source, 0, len(s.sources))
	for _, src := range s.sources {
		out = append(out, src)
	}
	slices.SortFunc(out, func(a, b webhook.Source) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// GetSource returns the source with id or an error wrapping webhook.ErrNotFound.
func (s *MemorySourceStore) GetSource(_ context.Context, id string) (webhook.Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src, ok := s.sources[id]
	if !ok {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, webhook.ErrNotFound)
	}
	return src, nil
}

// PutSource creates src, or replaces the stored source if it still has
// src.Version (compare-and-swap under the lock), storing Version src.Version+1.
func (s *MemorySourceStore) PutSource(_ context.Context, src webhook.Source) error {
	if src.ID == "" {
		return fmt.Errorf("put source: %w", &webhook.FieldError{Record: -1, Field: "id", Reason: "is required"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.sources[src.ID]
	switch {
	case !exists && src.Version > 0:
		return fmt.Errorf("put source %s: %w", src.ID, webhook.ErrNotFound)
	case exists && old.Version != src.Version:
		return fmt.Errorf("put source %s at version %d (stored: %d): %w", src.ID, src.Version, old.Version, webhook.ErrConflict)
	}
	src.Version++
	s.sources[src.ID] = src
	return nil
}

// DeleteSource removes the source or returns an error wrapping webhook.ErrNotFound.
func (s *MemorySourceStore) DeleteSource(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sources[id]; !ok {
		return fmt.Errorf("delete source %s: %w", id, webhook.ErrNotFound)
	}
	delete(s.sources, id)
	return nil
}
