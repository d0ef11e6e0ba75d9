package webhooktest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestSourceStore is the contract of webhook.SourceStore, run against every
// implementation: a source reads back as written, lists come newest first,
// unknown ids are ErrNotFound, and writes are optimistic as for hooks.
func TestSourceStore(t *testing.T, newStore func(t *testing.T) webhook.SourceStore) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := webhook.Source{ID: "s1", Name: "tenant \"a\" <prod>", SigningKey: "k1", PreviousSigningKey: "k0",
			PreviousKeyExpiresAt: 1767225600000, Enabled: true, CreatedAt: 1767225500000, UpdatedAt: 1767225550000}
		mustPutSource(t, s, want)
		got := mustGetSource(t, s, "s1")
		want.Version = 1
		if got != want {
			t.Errorf("GetSource = %+v, want %+v", got, want)
		}
		disabled := webhook.Source{ID: "s0", Name: "off", CreatedAt: 1}
		mustPutSource(t, s, disabled)
		if got := mustGetSource(t, s, "s0"); got.Enabled || got.SigningKey != "" {
			t.Errorf("a disabled source without a key read back as %+v", got)
		}
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		s := newStore(t)
		if got, err := s.ListSources(t.Context()); err != nil || len(got) != 0 {
			t.Fatalf("empty store: ListSources = %v, %v; want none", got, err)
		}
		for i, at := range []int64{200, 300, 100, 300} {
			mustPutSource(t, s, webhook.Source{ID: fmt.Sprintf("s%d", i), Name: "n", CreatedAt: at})
		}
		got, err := s.ListSources(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, src := range got {
			ids = append(ids, src.ID)
		}
		if fmt.Sprint(ids) != "[s1 s3 s0 s2]" {
			t.Errorf("ListSources order %v, want [s1 s3 s0 s2] (createdAt desc, then id)", ids)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetSource(t.Context(), "nope"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("GetSource(unknown): %v, want ErrNotFound", err)
		}
		if err := s.DeleteSource(t.Context(), "nope"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("DeleteSource(unknown): %v, want ErrNotFound", err)
		}
		mustPutSource(t, s, webhook.Source{ID: "s1", Name: "n"})
		if err := s.DeleteSource(t.Context(), "s1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSource(t.Context(), "s1"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("GetSource after delete: %v, want ErrNotFound", err)
		}
	})
	t.Run("StalePutConflicts", func(t *testing.T) {
		s := newStore(t)
		mustPutSource(t, s, webhook.Source{ID: "s1", Name: "n"})
		a, b := mustGetSource(t, s, "s1"), mustGetSource(t, s, "s1")
		a.SigningKey, b.SigningKey = "a", "b"
		mustPutSource(t, s, a)
		if err := s.PutSource(t.Context(), b); !errors.Is(err, webhook.ErrConflict) {
			t.Fatalf("PutSource based on a stale read: %v, want ErrConflict", err)
		}
		if got := mustGetSource(t, s, "s1"); got.SigningKey != "a" || got.Version != 2 {
			t.Errorf("after the conflict: key %q version %d, want \"a\" 2", got.SigningKey, got.Version)
		}
	})
	t.Run("CreateDoesNotReplace", func(t *testing.T) {
		s := newStore(t)
		mustPutSource(t, s, webhook.Source{ID: "s1", Name: "first"})
		if err := s.PutSource(t.Context(), webhook.Source{ID: "s1", Name: "second"}); !errors.Is(err, webhook.ErrConflict) {
			t.Fatalf("creating over an existing source: %v, want ErrConflict", err)
		}
	})
	t.Run("PutAfterDeleteDoesNotRecreate", func(t *testing.T) {
		s := newStore(t)
		mustPutSource(t, s, webhook.Source{ID: "s1", Name: "n"})
		read := mustGetSource(t, s, "s1")
		if err := s.DeleteSource(t.Context(), "s1"); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSource(t.Context(), read); !errors.Is(err, webhook.ErrNotFound) {
			t.Fatalf("PutSource of a deleted source: %v, want ErrNotFound", err)
		}
		if _, err := s.GetSource(t.Context(), "s1"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("the stale PutSource recreated the source (GetSource: %v)", err)
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		s := newStore(t)
		mustPutSource(t, s, webhook.Source{ID: "s1", Name: "n"})
		const writers, edits = 4, 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[int64]string{}
		for w := range writers {
			wg.Go(func() {
				for e := 0; e < edits; {
					src, err := s.GetSource(t.Context(), "s1")
					if err != nil {
						t.Error(err)
						return
					}
					src.SigningKey = fmt.Sprintf("w%d-e%d", w, e)
					err = s.PutSource(t.Context(), src)
					if errors.Is(err, webhook.ErrConflict) {
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if prev, dup := won[src.Version+1]; dup {
						t.Errorf("version %d written twice (%s and %s): one write overwrote the other", src.Version+1, prev, src.SigningKey)
					}
					won[src.Version+1] = src.SigningKey
					mu.Unlock()
					e++
				}
			})
		}
		wg.Wait()
		got := mustGetSource(t, s, "s1")
		if got.Version != writers*edits+1 || got.SigningKey != won[got.Version] {
			t.Errorf("stored version %d key %q; want version %d with the last successful write's key %q",
				got.Version, got.SigningKey, writers*edits+1, won[got.Version])
		}
	})
}

func mustPutSource(t *testing.T, s webhook.SourceStore, src webhook.Source) {
	t.Helper()
	if err := s.PutSource(t.Context(), src); err != nil {
		t.Fatalf("PutSource(%s): %v", src.ID, err)
	}
}

func mustGetSource(t *testing.T, s webhook.SourceStore, id string) webhook.Source {
	t.Helper()
	src, err := s.GetSource(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSource(%s): %v", id, err)
	}
	return src
}
