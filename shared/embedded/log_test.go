package embedded

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func logRows(t *testing.T, d *DB) int {
	t.Helper()
	var n int
	if err := d.flush(context.Background()); err != nil { // Record does not wait for its row
		t.Fatal(err)
	}
	if err := d.db.QueryRow(`select count(*) from deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLogTTL(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	const ttl = 14 * 24 * time.Hour
	opts := Options{LogTTL: ttl, Now: clk.Now}
	d, path := openTemp(t, opts)
	entry := func(id string, age time.Duration) webhook.LogEntry {
		return webhook.LogEntry{HookID: "h1", DeliveryID: id, Result: webhook.ResultSuccess, CreatedAt: clk.Now().Add(-age).UnixMilli()}
	}
	for _, e := range []webhook.LogEntry{entry("expired", ttl+time.Minute), entry("day-old", 24*time.Hour), entry("fresh", time.Minute)} {
		if err := d.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Record(ctx, webhook.LogEntry{HookID: "h1", DeliveryID: "unstamped", Result: webhook.ResultError}); err != nil {
		t.Fatal(err)
	}

	visible := func() []string {
		t.Helper()
		got, err := d.Query(ctx, webhook.LogQuery{HookID: "h1"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.DeliveryID)
		}
		return ids
	}
	if got, want := visible(), []string{"unstamped", "fresh", "day-old"}; !slices.Equal(got, want) {
		t.Errorf("Query = %v, want %v (expired entries hidden, unstamped stamped now)", got, want)
	}
	if st, err := d.Stats(ctx, "h1", clk.Now().Add(-30*24*time.Hour)); err != nil || st != (webhook.Stats{RequestCount: 3, SuccessCount: 2}) {
		t.Errorf("Stats = %+v, %v; want 3 requests, 2 successes", st, err)
	}

	clk.Add(ttl - time.Hour) // day-old has expired, fresh and unstamped not yet
	if got, want := visible(), []string{"unstamped", "fresh"}; !slices.Equal(got, want) {
		t.Errorf("Query after %v = %v, want %v", ttl-time.Hour, got, want)
	}
	if got := logRows(t, d); got != 4 {
		t.Errorf("rows before pruning = %d, want 4", got)
	}
	// Reopening prunes; so does every pruneEvery-th Record.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = reopen(t, path, opts)
	if got := logRows(t, d); got != 2 {
		t.Errorf("rows after reopening = %d, want 2", got)
	}
	clk.Add(2 * time.Hour)
	for range pruneEvery {
		if err := d.Record(ctx, webhook.LogEntry{HookID: "h2", DeliveryID: "x", Result: webhook.ResultSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	if got := logRows(t, d); got != pruneEvery {
		t.Errorf("rows after %d records = %d, want %d (the two expired ones pruned)", pruneEvery, got, pruneEvery)
	}
}
