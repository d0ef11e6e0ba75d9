package webhooktest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// MemoryHookStore is a webhook.HookStore in memory. It copies hooks in and out, so
// callers cannot change stored hooks behind its back.
type MemoryHookStore struct {
	// Now stamps UpdatedAt in SetEnabled; tests may replace it.
	Now func() time.Time

	mu    sync.Mutex
	hooks map[string]webhook.Hook
}

var _ webhook.HookStore = (*MemoryHookStore)(nil)

// NewMemoryHookStore returns an empty store.
func NewMemoryHookStore() *MemoryHookStore {
	return &MemoryHookStore{Now: time.Now, hooks: map[string]webhook.Hook{}}
}

// ListHooks returns every hook, newest first (ties by id).
func (s *MemoryHookStore) ListHooks(_ context.Context) ([]webhook.Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]webhook.Hook, 0, len(s.hooks))
	for _, h := range s.hooks {
		out = append(out, copyHook(h))
	}
	SortHooks(out)
	return out, nil
}

// GetHook returns the hook with id or an error wrapping webhook.ErrNotFound.
func (s *MemoryHookStore) GetHook(_ context.Context, id string) (webhook.Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok {
		return webhook.Hook{}, fmt.Errorf("get hook %s: %w", id, webhook.ErrNotFound)
	}
	return copyHook(h), nil
}

// PutHook creates h, or replaces the stored hook if it still has h.Version
// (compare-and-swap under the lock), storing Version h.Version+1.
func (s *MemoryHookStore) PutHook(_ context.Context, h webhook.Hook) error {
	if h.ID == "" {
		return fmt.Errorf("put hook: %w", &webhook.FieldError{Record: -1, Field: "id", Reason: "is required"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.hooks[h.ID]
	switch {
	case !exists && h.Version > 0:
		return fmt.Errorf("put hook %s: %w", h.ID, webhook.ErrNotFound)
	case exists && old.Version != h.Version:
		return fmt.Errorf("put hook %s at version %d (stored: %d): %w", h.ID, h.Version, old.Version, webhook.ErrConflict)
	}
	h = copyHook(h)
	h.Version++
	s.hooks[h.ID] = h
	return nil
}

// DeleteHook removes the hook or returns an error wrapping webhook.ErrNotFound.
func (s *MemoryHookStore) DeleteHook(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hooks[id]; !ok {
		return fmt.Errorf("delete hook %s: %w", id, webhook.ErrNotFound)
	}
	delete(s.hooks, id)
	return nil
}

// SetEnabled sets Enabled, DisabledReason and UpdatedAt of the hook.
func (s *MemoryHookStore) SetEnabled(_ context.Context, id string, enabled bool, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok {
		return fmt.Errorf("set hook %s enabled: %w", id, webhook.ErrNotFound)
	}
	h.Enabled, h.DisabledReason, h.UpdatedAt = enabled, reason, s.Now().UnixMilli()
	h.Version++
	s.hooks[id] = h
	return nil
}

// SetFailingSince sets FailingSince if the hook has none (since > 0) or clears
// it (since == 0), leaving every other field alone.
func (s *MemoryHookStore) SetFailingSince(_ context.Context, id string, since int64) error {
	if since < 0 {
		return fmt.Errorf("set hook %s failing since %d: negative time", id, since)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok {
		return fmt.Errorf("set hook %s failing since: %w", id, webhook.ErrNotFound)
	}
	if since != h.FailingSince && (since == 0 || h.FailingSince == 0) {
		h.FailingSince = since
		h.Version++
		s.hooks[id] = h
	}
	return nil
}

// SortHooks sorts hooks as ListHooks returns them: createdAt descending, then by id
// so that hooks created in the same millisecond keep a stable order.
func SortHooks(hooks []webhook.Hook) {
	slices.SortFunc(hooks, func(a, b webhook.Hook) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}

// copyHook deep-copies h. An empty headers map becomes nil, as it does in the
// stores that omit empty attributes.
func copyHook(h webhook.Hook) webhook.Hook {
	h.Events = slices.Clone(h.Events)
	if len(h.Headers) == 0 {
		h.Headers = nil
	} else {
		h.Headers = maps.Clone(h.Headers)
	}
	if h.Retries != nil {
		r := *h.Retries
		h.Retries = &r
	}
	return h
}
