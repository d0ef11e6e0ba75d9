// Package hookcache keeps hooks in memory for a bounded time so that a burst of
// events costs one store read, not one per record (docs/architecture.md §6). A Lambda execution
// environment lives for minutes, so the bound is what makes edits visible: a
// disabled or edited hook takes effect within TTL.
package hookcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Store is the part of webhook.HookStore the cache reads.
type Store interface {
	ListHooks(ctx context.Context) ([]webhook.Hook, error)
	GetHook(ctx context.Context, id string) (webhook.Hook, error)
}

// DefaultTTL is how long a read stays fresh when no TTL is configured.
const DefaultTTL = 10 * time.Second

// Cache memoises ListHooks and GetHook (including not-found answers). It is safe
// for concurrent use; concurrent misses for the same key share one read
// (singleflight), and entries older than the TTL are dropped as reads go on, so
// a process that has delivered to a million hooks does not keep them all.
type Cache struct {
	store Store
	ttl   time.Duration
	now   func() time.Time
	// changes counts the store's writes when it can (Watched); a read made
	// before the current count is stale whatever its age. Nil: the TTL only.
	changes func() uint64
	reads   singleflight.Group

	mu      sync.Mutex
	list    []webhook.Hook
	listAt  time.Time
	listGen uint64
	byID    map[string]entry
	swept   time.Time
}

type entry struct {
	hook  webhook.Hook
	found bool
	at    time.Time
	gen   uint64 // changes() before the read
}

// changesCounter is implemented by stores that count their writes (Watched).
type changesCounter interface{ Changes() uint64 }

// New returns a cache over store. ttl <= 0 uses DefaultTTL.
func New(store Store, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	c := &Cache{store: store, ttl: ttl, now: time.Now, byID: map[string]entry{}}
	if cc, ok := store.(changesCounter); ok {
		c.changes = cc.Changes
	}
	return c
}

// gen is the store's write count, 0 when it does not count.
func (c *Cache) gen() uint64 {
	if c.changes == nil {
		return 0
	}
	return c.changes()
}

// SetClock replaces the clock; for tests.
func (c *Cache) SetClock(now func() time.Time) { c.now = now }

// listKey is the singleflight key of ListHooks; hook ids are never empty.
const listKey = ""

// List returns all hooks, from memory when the last read is younger than the TTL.
func (c *Cache) List(ctx context.Context) ([]webhook.Hook, error) {
	if hooks, ok := c.freshList(); ok {
		return hooks, nil
	}
	v, err, _ := c.reads.Do(listKey, func() (any, error) {
		if hooks, ok := c.freshList(); ok {
			return hooks, nil
		}
		gen := c.gen() // before the read: a write racing it makes the result stale
		ctx, cancel := sharedRead(ctx)
		defer cancel()
		hooks, err := c.store.ListHooks(ctx)
		if err != nil {
			return nil, err // the store names the operation and the table
		}
		c.mu.Lock()
		c.list, c.listAt, c.listGen = hooks, c.now(), gen
		c.mu.Unlock()
		return hooks, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]webhook.Hook), nil
}

func (c *Cache) freshList() ([]webhook.Hook, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listAt.IsZero() && c.now().Sub(c.listAt) < c.ttl && c.listGen == c.gen() {
		return c.list, true
	}
	return nil, false
}

// Get returns one hook, or an error wrapping webhook.ErrNotFound.
func (c *Cache) Get(ctx context.Context, id string) (webhook.Hook, error) {
	if e, ok := c.freshEntry(id); ok {
		return e.result(id)
	}
	v, err, _ := c.reads.Do(id, func() (any, error) {
		if e, ok := c.freshEntry(id); ok {
			return e, nil
		}
		gen := c.gen()
		ctx, cancel := sharedRead(ctx)
		defer cancel()
		h, err := c.store.GetHook(ctx, id)
		if err != nil && !errors.Is(err, webhook.ErrNotFound) {
			return nil, err // the store names the operation and the hook
		}
		e := entry{hook: h, found: err == nil, at: c.now(), gen: gen}
		c.mu.Lock()
		c.sweep(e.at)
		c.byID[id] = e
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return webhook.Hook{}, err
	}
	return v.(entry).result(id)
}

// readTimeout bounds a shared store read, which no caller can cancel.
const readTimeout = 10 * time.Second

// sharedRead is the context of a read singleflight shares between callers: it
// keeps the first caller's values but not its cancellation, so one caller
// hanging up does not fail the others waiting on the same read.
func sharedRead(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
}

// sweep drops, at most once a TTL, the entries older than the TTL; the caller
// holds c.mu.
func (c *Cache) sweep(now time.Time) {
	if now.Sub(c.swept) < c.ttl {
		return
	}
	c.swept = now
	for id, e := range c.byID {
		if now.Sub(e.at) >= c.ttl {
			delete(c.byID, id)
		}
	}
}

// Forget drops what the cache knows of id, so the next Get reads the store; the
// delivery service calls it after disabling a hook.
func (c *Cache) Forget(id string) {
	c.mu.Lock()
	delete(c.byID, id)
	c.listAt = time.Time{}
	c.mu.Unlock()
}

func (c *Cache) freshEntry(id string) (entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	return e, ok && c.now().Sub(e.at) < c.ttl && e.gen == c.gen()
}

func (e entry) result(id string) (webhook.Hook, error) {
	if !e.found {
		return webhook.Hook{}, fmt.Errorf("hook %s: %w", id, webhook.ErrNotFound)
	}
	return e.hook, nil
}
