package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// openTemp opens a fresh database file in a temporary directory, closed at the
// end of the test, and returns it with its path for reopening.
func openTemp(t *testing.T, opts Options) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nested", "dir", "webhooks.db")
	d := reopen(t, path, opts)
	return d, path
}

func reopen(t *testing.T, path string, opts Options) *DB {
	t.Helper()
	d, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func testJob(hookID string, e webhook.Event, n int) webhook.Job {
	m := webhook.EventMessage{
		ID:      webhook.EventID(fmt.Sprintf("rec-%d", n), e),
		Event:   e,
		Payload: json.RawMessage(`{"event":"` + string(e) + `"}`),
	}
	return webhook.NewJob(m, hookID)
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name    string
		path    func(dir string) string
		opts    Options
		wantErr bool
	}{
		{name: "creates parent directories", path: func(dir string) string { return filepath.Join(dir, "a", "b", "x.db") }},
		{name: "empty path", path: func(string) string { return "" }, wantErr: true},
		{name: "question mark in path", path: func(dir string) string { return filepath.Join(dir, "x?.db") }, wantErr: true},
		{name: "negative option", path: func(dir string) string { return filepath.Join(dir, "x.db") }, opts: Options{Visibility: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t.TempDir())
			d, err := Open(path, tt.opts)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Open(%q) error = %v, want error %t", path, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer d.Close()
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database file: %v", err)
			}
		})
	}
}

func TestOpenTwiceKeepsData(t *testing.T) {
	ctx := context.Background()
	d, path := openTemp(t, Options{})
	h := webhook.Hook{ID: "h1", Name: "one", Events: []webhook.Event{webhook.PostRegister}, URL: "https://example.com/h", SigningKey: "k", Enabled: true, CreatedAt: 1}
	if err := d.PutHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := d.Record(ctx, webhook.LogEntry{HookID: "h1", DeliveryID: "d1", Result: webhook.ResultSuccess}); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.PostRegister, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d2 := reopen(t, path, Options{})
	if got, err := d2.GetHook(ctx, "h1"); err != nil || got.Name != "one" {
		t.Errorf("GetHook after reopen = %+v, %v; want name one", got, err)
	}
	if got, err := d2.Query(ctx, webhook.LogQuery{HookID: "h1"}); err != nil || len(got) != 1 {
		t.Errorf("Query after reopen = %d entries, %v; want 1", len(got), err)
	}
	if got, err := d2.Receive(ctx, 10, 0); err != nil || len(got) != 1 {
		t.Errorf("Receive after reopen = %d messages, %v; want 1", len(got), err)
	}
}
