package management_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// race runs fns at once, each as an HTTP request through the API, and returns
// the responses in the order of fns.
func race(t *testing.T, f *fixture, reqs ...[3]string) []*http.Response {
	t.Helper()
	out := make([]*http.Response, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { out[i] = f.do(t, r[0], r[1], r[2]).Result() })
	}
	wg.Wait()
	return out
}

// slowReads widens the window between a read and the write based on it, as
// a network round trip to DynamoDB does, so races show in every run.
type slowReads struct{ webhook.HookStore }

func (s slowReads) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	h, err := s.HookStore.GetHook(ctx, id)
	time.Sleep(2 * time.Millisecond)
	return h, err
}

// raceFixture is a fixture whose API reads slowly.
func raceFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.h = newHandler(slowReads{f.hooks})
	f.put(t, "h1")
	return f
}

func signingKeyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	var h struct {
		SigningKey string `json:"signingKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h.SigningKey
}

// TestRotationRacingRename is the lost rotation: a rotation answered
// 200 with a key that was then overwritten by a concurrent rename.
func TestRotationRacingRename(t *testing.T) {
	for range 40 {
		f := raceFixture(t)
		resps := race(t, f,
			[3]string{http.MethodPatch, "/hooks/h1/signing-key", ""},
			[3]string{http.MethodPatch, "/hooks/h1", `{"name":"renamed"}`})
		key := signingKeyOf(t, resps[0])
		if resps[1].StatusCode != http.StatusOK {
			t.Fatalf("rename: status %d", resps[1].StatusCode)
		}
		got, _ := f.hooks.GetHook(context.Background(), "h1")
		if got.SigningKey != key || got.Name != "renamed" {
			t.Fatalf("after rotation and rename: key %q name %q; want the rotated key %q and the new name", got.SigningKey, got.Name, key)
		}
	}
}

// TestConcurrentRotations: each answered key must be the current or the
// previous one afterwards, so receivers given either keep verifying.
func TestConcurrentRotations(t *testing.T) {
	for range 40 {
		f := raceFixture(t)
		resps := race(t, f,
			[3]string{http.MethodPatch, "/hooks/h1/signing-key", ""},
			[3]string{http.MethodPatch, "/hooks/h1/signing-key", ""})
		a, b := signingKeyOf(t, resps[0]), signingKeyOf(t, resps[1])
		got, _ := f.hooks.GetHook(context.Background(), "h1")
		keys := map[string]bool{got.SigningKey: true, got.PreviousSigningKey: true}
		if !keys[a] || !keys[b] || a == b {
			t.Fatalf("rotations answered %q and %q; stored current %q previous %q", a, b, got.SigningKey, got.PreviousSigningKey)
		}
	}
}

// TestRenameRacingGoneDisable: the delivery side disabling a hook on 410 Gone
// must not be undone by a rename that read the hook enabled.
func TestRenameRacingGoneDisable(t *testing.T) {
	for range 40 {
		f := raceFixture(t)
		var wg sync.WaitGroup
		wg.Go(func() {
			if w := f.do(t, http.MethodPatch, "/hooks/h1", `{"name":"renamed"}`); w.Code != http.StatusOK {
				t.Errorf("rename: %d %s", w.Code, w.Body.String())
			}
		})
		wg.Go(func() {
			if err := f.hooks.SetEnabled(context.Background(), "h1", false, "endpoint answered 410 Gone"); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		got, _ := f.hooks.GetHook(context.Background(), "h1")
		if got.Enabled || got.Name != "renamed" {
			t.Fatalf("after rename and 410 disable: enabled %v name %q; want disabled and renamed", got.Enabled, got.Name)
		}
	}
}

// alwaysConflicts is a store where every PutHook loses a race.
type alwaysConflicts struct {
	webhook.HookStore
	mu    sync.Mutex
	tries int
}

func (s *alwaysConflicts) PutHook(context.Context, webhook.Hook) error {
	s.mu.Lock()
	s.tries++
	s.mu.Unlock()
	return webhook.ErrConflict
}

// TestConflictAnswers409 is what a client sees when the hook keeps changing:
// a 409 hook.conflict after a few re-reads, and nothing written.
func TestConflictAnswers409(t *testing.T) {
	f := newFixture(t)
	before := f.put(t, "h1")
	store := &alwaysConflicts{HookStore: f.hooks}
	g := newFixture(t)
	g.hooks = f.hooks
	g.h = newHandler(store)
	for _, req := range [][3]string{
		{http.MethodPatch, "/hooks/h1", `{"name":"x"}`},
		{http.MethodPatch, "/hooks/h1/signing-key", ""},
	} {
		store.tries = 0
		e := wantErr(t, g.do(t, req[0], req[1], req[2]), http.StatusConflict, "hook.conflict", "")
		if e.Message == "" || store.tries < 2 {
			t.Errorf("%s %s: message %q after %d tries; want a message after retries", req[0], req[1], e.Message, store.tries)
		}
	}
	if after, _ := f.hooks.GetHook(context.Background(), "h1"); after.Name != before.Name || after.SigningKey != before.SigningKey {
		t.Errorf("a conflicting change was written: %+v", after)
	}
}

func newHandler(store webhook.HookStore) http.Handler {
	return management.New(management.Config{Hooks: store, Now: func() time.Time { return t0 }})
}
