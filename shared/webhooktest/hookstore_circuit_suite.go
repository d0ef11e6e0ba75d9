package webhooktest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// testSetCircuit checks HookStore.SetCircuit: it opens and closes the circuit,
// changes no other field, and does not create an unknown hook.
func testSetCircuit(t *testing.T, s webhook.HookStore) {
	orig := fullHook("h1")
	mustPut(t, s, orig)
	stored, err := s.GetHook(t.Context(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	version := stored.Version
	steps := []struct {
		name      string
		openUntil int64
		reason    string
		want      string
	}{
		{"open", 1767225609000, "timed out 5 times in a row", "timed out 5 times in a row"},
		{"reopen later", 1767225619000, "probe failed", "probe failed"},
		{"close", 0, "ignored when closing", ""},
		{"close again", 0, "", ""},
	}
	for _, st := range steps {
		if err := s.SetCircuit(t.Context(), "h1", st.openUntil, st.reason); err != nil {
			t.Fatalf("%s: SetCircuit: %v", st.name, err)
		}
		got, err := s.GetHook(t.Context(), "h1")
		if err != nil {
			t.Fatalf("%s: GetHook: %v", st.name, err)
		}
		if got.CircuitOpenUntil != st.openUntil || got.CircuitReason != st.want {
			t.Errorf("%s: circuit = %d %q; want %d %q", st.name, got.CircuitOpenUntil, got.CircuitReason, st.openUntil, st.want)
		}
		if got.Version <= version && st.name != "close again" {
			t.Errorf("%s: version %d after %d; want it incremented, so edits based on the old hook conflict", st.name, got.Version, version)
		}
		version = got.Version
		want := orig
		want.CircuitOpenUntil, want.CircuitReason, want.Version = got.CircuitOpenUntil, got.CircuitReason, got.Version
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: SetCircuit changed other fields\n got %#v\nwant %#v", st.name, got, want)
		}
	}
	if err := s.SetCircuit(t.Context(), "missing", 1767225609000, "x"); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("SetCircuit(missing) error = %v, want one wrapping ErrNotFound", err)
	}
	if _, err := s.GetHook(t.Context(), "missing"); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("SetCircuit(missing) created a hook: GetHook error = %v", err)
	}
}
