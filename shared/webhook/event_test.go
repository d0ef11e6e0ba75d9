package webhook

import (
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	cat := Catalog()
	if len(cat) != 31 {
		t.Fatalf("catalog has %d events, want 31", len(cat))
	}
	groups := map[Group]int{}
	for _, e := range cat {
		groups[e.Group]++
		if got, err := ParseEvent(string(e.Event)); err != nil || got != e.Event {
			t.Errorf("ParseEvent(%q) = %q, %v", e.Event, got, err)
		}
	}
	want := map[Group]int{GroupInteraction: 4, GroupData: 24, GroupException: 3}
	for g, n := range want {
		if groups[g] != n {
			t.Errorf("group %s has %d events, want %d", g, groups[g], n)
		}
	}
}

func TestParseEventSuggests(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"User.Updated", "User.Data.Updated"},
		{"Organization.Updated", "Organization.Data.Updated"},
		{"user.created", "User.Created"},
		{"PostSignin", "PostSignIn"},
		{"Identifier.Lockot", "Identifier.Lockout"},
		{"Grant.LimitExceed", "Grant.LimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseEvent(tt.in)
			if err == nil {
				t.Fatalf("ParseEvent(%q) succeeded, want an error", tt.in)
			}
			if !strings.Contains(err.Error(), `"`+tt.want+`"`) {
				t.Errorf("error %q does not suggest %q", err, tt.want)
			}
		})
	}
	if _, err := ParseEvent("Completely.Unrelated.Thing.Here"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far-off name: got %v, want an error without a suggestion", err)
	}
}
