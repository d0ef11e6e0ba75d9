package webhooktest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestHookStore runs the webhook.HookStore contract against the stores newStore
// returns; each subtest gets a fresh, empty store.
func TestHookStore(t *testing.T, newStore func(t *testing.T) webhook.HookStore) {
	testHookVersions(t, newStore)
	t.Run("SetCircuit", func(t *testing.T) { testSetCircuit(t, newStore(t)) })
	t.Run("Empty", func(t *testing.T) {
		hooks, err := newStore(t).ListHooks(t.Context())
		if err != nil || len(hooks) != 0 {
			t.Fatalf("ListHooks on an empty store = %v, %v; want none", hooks, err)
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		for _, h := range []webhook.Hook{fullHook("full"), minimalHook("minimal", 1)} {
			mustPut(t, s, h)
			got, err := s.GetHook(t.Context(), h.ID)
			if err != nil {
				t.Fatalf("GetHook(%s): %v", h.ID, err)
			}
			h.Version = 1 // the first write
			if !reflect.DeepEqual(got, h) {
				t.Errorf("GetHook(%s)\n got %#v\nwant %#v", h.ID, got, h)
			}
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, fullHook("h1"))
		want := minimalHook("h1", 5)
		want.Version = 1 // replacing the version read
		mustPut(t, s, want)
		got, err := s.GetHook(t.Context(), "h1")
		if err != nil {
			t.Fatalf("GetHook: %v", err)
		}
		want.Version = 2
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after replacing, GetHook\n got %#v\nwant %#v (no field of the old hook may survive)", got, want)
		}
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		s := newStore(t)
		for _, h := range []webhook.Hook{minimalHook("b", 1000), fullHook("c"), minimalHook("a", 2000)} {
			mustPut(t, s, h)
		}
		hooks, err := s.ListHooks(t.Context())
		if err != nil {
			t.Fatalf("ListHooks: %v", err)
		}
		var ids []string
		for _, h := range hooks {
			ids = append(ids, h.ID)
		}
		if want := []string{"c", "a", "b"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("ListHooks ids = %v, want %v (createdAt descending)", ids, want)
		}
		want := fullHook("c")
		want.Version = 1
		if len(hooks) > 0 && !reflect.DeepEqual(hooks[0], want) {
			t.Errorf("ListHooks()[0]\n got %#v\nwant %#v", hooks[0], want)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, minimalHook("other", 1))
		ctx := t.Context()
		_, getErr := s.GetHook(ctx, "missing")
		for name, err := range map[string]error{
			"GetHook":            getErr,
			"DeleteHook":         s.DeleteHook(ctx, "missing"),
			"SetEnabled":         s.SetEnabled(ctx, "missing", false, "gone"),
			"SetFailingSince":    s.SetFailingSince(ctx, "missing", 1767225600000),
			"SetFailingSince(0)": s.SetFailingSince(ctx, "missing", 0),
		} {
			if !errors.Is(err, webhook.ErrNotFound) {
				t.Errorf("%s(missing) error = %v, want one wrapping ErrNotFound", name, err)
			}
		}
		if _, err := s.GetHook(ctx, "missing"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("SetEnabled or SetFailingSince(missing) created a hook: GetHook error = %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, fullHook("h1"))
		mustPut(t, s, minimalHook("h2", 1))
		if err := s.DeleteHook(t.Context(), "h1"); err != nil {
			t.Fatalf("DeleteHook: %v", err)
		}
		if _, err := s.GetHook(t.Context(), "h1"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("GetHook after delete: error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteHook(t.Context(), "h1"); !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("second DeleteHook: error = %v, want ErrNotFound", err)
		}
		if hooks, err := s.ListHooks(t.Context()); err != nil || len(hooks) != 1 || hooks[0].ID != "h2" {
			t.Errorf("ListHooks after delete = %v, %v; want only h2", hooks, err)
		}
	})
	t.Run("SetEnabled", func(t *testing.T) {
		s := newStore(t)
		orig := fullHook("h1")
		mustPut(t, s, orig)
		steps := []struct {
			name    string
			enabled bool
			reason  string
		}{
			{"disable with reason", false, "410 Gone"},
			{"enable", true, ""},
			{"disable by user", false, ""},
		}
		// Each write raises the version; by at least one, not exactly: on
		// DynamoDB an SDK retry of an update whose answer was lost applies its
		// ADD twice (seen against moto), and versions only need to grow.
		version := int64(1)
		for _, st := range steps {
			if err := s.SetEnabled(t.Context(), "h1", st.enabled, st.reason); err != nil {
				t.Fatalf("%s: SetEnabled: %v", st.name, err)
			}
			got, err := s.GetHook(t.Context(), "h1")
			if err != nil {
				t.Fatalf("%s: GetHook: %v", st.name, err)
			}
			if got.Enabled != st.enabled || got.DisabledReason != st.reason {
				t.Errorf("%s: enabled, reason = %v, %q; want %v, %q", st.name, got.Enabled, got.DisabledReason, st.enabled, st.reason)
			}
			if got.Version <= version {
				t.Errorf("%s: version = %d, want more than %d (every SetEnabled counts as a write)", st.name, got.Version, version)
			}
			version = got.Version
			want := orig
			want.Enabled, want.DisabledReason, want.UpdatedAt, want.Version = got.Enabled, got.DisabledReason, got.UpdatedAt, got.Version
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: SetEnabled changed other fields\n got %#v\nwant %#v", st.name, got, want)
			}
		}
	})
	t.Run("SetFailingSince", func(t *testing.T) {
		s := newStore(t)
		orig := fullHook("h1") // already failing since 1767225600500
		mustPut(t, s, orig)
		steps := []struct {
			name  string
			since int64
			want  int64
			bumps bool // a write that changes nothing bumps no version
		}{
			{"set while failing keeps the first value", 1767225601000, orig.FailingSince, false},
			{"clear", 0, 0, true},
			{"clear again", 0, 0, false},
			{"set", 1767225602000, 1767225602000, true},
			{"set again keeps the first value", 1767225603000, 1767225602000, false},
		}
		version := int64(1) // as put; as with SetEnabled, a bump is at least one
		for _, st := range steps {
			if err := s.SetFailingSince(t.Context(), "h1", st.since); err != nil {
				t.Fatalf("%s: SetFailingSince(%d): %v", st.name, st.since, err)
			}
			got, err := s.GetHook(t.Context(), "h1")
			if err != nil {
				t.Fatalf("%s: GetHook: %v", st.name, err)
			}
			if got.FailingSince != st.want {
				t.Errorf("%s: SetFailingSince(%d): failingSince = %d, want %d", st.name, st.since, got.FailingSince, st.want)
			}
			if st.bumps && got.Version <= version || !st.bumps && got.Version != version {
				t.Errorf("%s: version = %d after %d; want it raised: %v", st.name, got.Version, version, st.bumps)
			}
			version = got.Version
			want := orig
			want.FailingSince, want.Version = got.FailingSince, got.Version
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: SetFailingSince changed other fields\n got %#v\nwant %#v", st.name, got, want)
			}
		}
	})
}

func mustPut(t *testing.T, s webhook.HookStore, h webhook.Hook) {
	t.Helper()
	if err := s.PutHook(t.Context(), h); err != nil {
		t.Fatalf("PutHook(%s): %v", h.ID, err)
	}
}

// fullHook sets every field of Hook, with values that trip naive encodings:
// zero retries (not "unset"), an empty header value, non-ASCII text.
func fullHook(id string) webhook.Hook {
	zero := 0
	return webhook.Hook{
		ID:                   id,
		Name:                 "Full hook – ünïcode <&>",
		Events:               []webhook.Event{webhook.UserCreated, webhook.PostSignIn, webhook.IdentifierLockout},
		URL:                  "https://example.com/hooks?a=1&b=2",
		Headers:              map[string]string{"Authorization": "Bearer abc", "X-Empty": "", "x-lower": "v"},
		SigningKey:           "key-" + id + "-0123456789abcdefghijklmnopqrstuv",
		PreviousSigningKey:   "old-" + id + "-0123456789abcdefghijklmnopqrstuv",
		PreviousKeyExpiresAt: 1767225600123,
		Enabled:              true,
		Retries:              &zero,
		TimeoutMs:            2500,
		MaxInFlight:          3,
		CircuitOpenUntil:     1767225601500,
		CircuitReason:        "5 consecutive failures",
		DisabledReason:       "",
		FailingSince:         1767225600500,
		CreatedAt:            1767225600000,
		UpdatedAt:            1767225600999,
	}
}

// minimalHook sets only what a hand-written DynamoDB item must have.
func minimalHook(id string, createdAt int64) webhook.Hook {
	return webhook.Hook{
		ID:         id,
		Events:     []webhook.Event{webhook.RoleDeleted},
		URL:        "https://example.org/",
		SigningKey: "k",
		CreatedAt:  createdAt,
	}
}
