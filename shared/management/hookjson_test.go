package management

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestToJSONShowsTheCircuit checks that the management API and the CLI show
// a hook's circuit breaker while it holds the hook back, and its per-hook
// in-flight cap, and say nothing of either otherwise.
func TestToJSONShowsTheCircuit(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	h := webhook.Hook{ID: "h1", Events: []webhook.Event{webhook.UserCreated}, URL: "https://example.com/", MaxInFlight: 3}
	tests := []struct {
		name      string
		openUntil time.Time
		want      string
	}{
		{"closed", time.Time{}, ``},
		{"open", now.Add(time.Minute), `"circuit":{"state":"open","openUntil":%d,"reason":"2 attempts in a row timed out"}`},
		{"due for a probe", now.Add(-time.Second), `"circuit":{"state":"half-open","openUntil":%d,"reason":"2 attempts in a row timed out"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h
			if !tt.openUntil.IsZero() {
				h.CircuitOpenUntil, h.CircuitReason = tt.openUntil.UnixMilli(), "2 attempts in a row timed out"
			}
			b, err := json.Marshal(ToJSON(h, now))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want != "" {
				want = fmt.Sprintf(want, tt.openUntil.UnixMilli())
			}
			if want == "" && strings.Contains(string(b), "circuit") || !strings.Contains(string(b), want) {
				t.Errorf("ToJSON = %s; want it to hold %s", b, want)
			}
			if !strings.Contains(string(b), `"maxInFlight":3`) {
				t.Errorf("ToJSON = %s; want config.maxInFlight 3", b)
			}
		})
	}
}
