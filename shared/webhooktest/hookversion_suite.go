package webhooktest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// testHookVersions checks the optimistic concurrency of HookStore: a PutHook
// based on a stale read changes nothing and says so, and concurrent
// read-modify-write loops lose no update.
func testHookVersions(t *testing.T, newStore func(t *testing.T) webhook.HookStore) {
	t.Run("StalePutConflicts", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, minimalHook("h1", 1))
		a, b := mustGet(t, s, "h1"), mustGet(t, s, "h1")
		a.Name, b.Name = "a", "b"
		mustPut(t, s, a)
		if err := s.PutHook(t.Context(), b); !errors.Is(err, webhook.ErrConflict) {
			t.Fatalf("PutHook based on a stale read: error = %v, want ErrConflict", err)
		}
		if got := mustGet(t, s, "h1"); got.Name != "a" || got.Version != 2 {
			t.Errorf("after the conflict: name %q version %d, want \"a\" 2 (the stale write must change nothing)", got.Name, got.Version)
		}
	})
	t.Run("CreateDoesNotReplace", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, minimalHook("h1", 1))
		again := fullHook("h1")
		if err := s.PutHook(t.Context(), again); !errors.Is(err, webhook.ErrConflict) {
			t.Fatalf("creating (version 0) over an existing hook: error = %v, want ErrConflict", err)
		}
	})
	t.Run("PutAfterDeleteDoesNotRecreate", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, minimalHook("h1", 1))
		h := mustGet(t, s, "h1")
		if err := s.DeleteHook(t.Context(), "h1"); err != nil {
			t.Fatal(err)
		}
		if err := s.PutHook(t.Context(), h); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("PutHook of a hook deleted since it was read: error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetHook(t.Context(), "h1"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("the stale PutHook recreated the deleted hook (GetHook error %v)", err)
		}
	})
	t.Run("SingleUpdatesMakeStaleEditsConflict", func(t *testing.T) {
		for name, update := range map[string]func(s webhook.HookStore) error{
			"SetEnabled": func(s webhook.HookStore) error {
				return s.SetEnabled(t.Context(), "h1", false, "endpoint answered 410 Gone")
			},
			"SetFailingSince": func(s webhook.HookStore) error { return s.SetFailingSince(t.Context(), "h1", 1767225600000) },
		} {
			s := newStore(t)
			h := minimalHook("h1", 1)
			h.Enabled = true
			mustPut(t, s, h)
			read := mustGet(t, s, "h1")
			if err := update(s); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			read.Name = "renamed"
			if err := s.PutHook(t.Context(), read); !errors.Is(err, webhook.ErrConflict) {
				t.Errorf("PutHook read before %s: error = %v, want ErrConflict (it would undo the update)", name, err)
			}
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, newStore(t)) })
}

// testConcurrentWriters races read-modify-write loops (each adds a header and
// sets a new signing key, as a rename and a rotation do) against the delivery
// side's single updates. Every successful write must survive, and the key of
// the last successful write must be the stored one.
func testConcurrentWriters(t *testing.T, s webhook.HookStore) {
	const writers, edits = 4, 8
	h := minimalHook("h1", 1)
	h.Enabled = true
	mustPut(t, s, h)
	type success struct {
		version int64
		key     string
	}
	var (
		mu        sync.Mutex
		successes []success
		wg        sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for e := range edits {
				tag := fmt.Sprintf("w%d-%d", w, e)
				for try := 0; ; try++ {
					cur, err := s.GetHook(t.Context(), "h1")
					if err != nil {
						t.Errorf("%s: GetHook: %v", tag, err)
						return
					}
					if cur.Headers == nil {
						cur.Headers = map[string]string{}
					}
					cur.Headers[tag] = "x"
					cur.SigningKey = "key-" + tag
					err = s.PutHook(t.Context(), cur)
					if errors.Is(err, webhook.ErrConflict) && try < 200 {
						continue
					}
					if err != nil {
						t.Errorf("%s: PutHook: %v", tag, err)
						return
					}
					mu.Lock()
					successes = append(successes, success{cur.Version + 1, cur.SigningKey})
					mu.Unlock()
					break
				}
			}
		})
	}
	wg.Go(func() {
		for i := range edits {
			if err := s.SetEnabled(t.Context(), "h1", i%2 == 1, ""); err != nil {
				t.Errorf("SetEnabled: %v", err)
			}
			if err := s.SetFailingSince(t.Context(), "h1", int64(i%2)*1767225600000); err != nil {
				t.Errorf("SetFailingSince: %v", err)
			}
		}
	})
	wg.Wait()
	got := mustGet(t, s, "h1")
	for w := range writers {
		for e := range edits {
			if tag := fmt.Sprintf("w%d-%d", w, e); got.Headers[tag] != "x" {
				t.Errorf("the write adding header %s answered success but was lost", tag)
			}
		}
	}
	last := success{}
	seen := map[int64]string{}
	for _, sc := range successes {
		if k, dup := seen[sc.version]; dup {
			t.Errorf("two successful writes stored version %d (keys %s and %s): one overwrote the other", sc.version, k, sc.key)
		}
		seen[sc.version] = sc.key
		if sc.version > last.version {
			last = sc
		}
	}
	if got.SigningKey != last.key {
		t.Errorf("stored signing key %q, want %q, the key of the last successful write", got.SigningKey, last.key)
	}
}

func mustGet(t *testing.T, s webhook.HookStore, id string) webhook.Hook {
	t.Helper()
	h, err := s.GetHook(t.Context(), id)
	if err != nil {
		t.Fatalf("GetHook(%s): %v", id, err)
	}
	return h
}
