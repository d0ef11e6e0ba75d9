package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/console"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// Keys of the fixture's sources: Logto's, which no page may show unless
// revealed.
const (
	sourceKey    = "LogtoSourceKey0123456789abcdefgh"
	oldSourceKey = "OldLogtoKey0123456789abcdefghijk"
)

// putSources stores the fixture's sources: one in use, mid-rotation, and one
// created but never given Logto's key.
func putSources(t *testing.T, s webhook.SourceStore) {
	t.Helper()
	for _, src := range []webhook.Source{
		{ID: "tenantsrc", Name: "acme tenant", SigningKey: sourceKey, PreviousSigningKey: oldSourceKey,
			PreviousKeyExpiresAt: now.Add(time.Hour).UnixMilli(), Enabled: true,
			CreatedAt: now.Add(-72 * time.Hour).UnixMilli(), UpdatedAt: now.Add(-time.Hour).UnixMilli()},
		{ID: "nokeysrc", Name: "staging", Enabled: false, CreatedAt: now.Add(-2 * time.Hour).UnixMilli()},
	} {
		if err := s.PutSource(t.Context(), src); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSourcePagesGolden renders the Sources pages and the answers of their
// forms, a rejected value with the Service's message beside its field.
func TestSourcePagesGolden(t *testing.T) {
	f := newFixture(t, "")
	for _, tc := range []struct {
		name, target string
		form         url.Values
		status       int
	}{
		{"sources", "/console/sources", nil, 200},
		{"source", "/console/sources/tenantsrc", nil, 200},
		{"source-nokey", "/console/sources/nokeysrc", nil, 200},
		{"source-key", "/console/sources/tenantsrc/key", url.Values{}, 200},
		{"source-create-no-name", "/console/sources", url.Values{"name": {""}}, 400},
		{"source-create-bad-key", "/console/sources", url.Values{"name": {"prod"}, "key": {"has a space"}}, 400},
		{"source-rename-too-long", "/console/sources/tenantsrc/name", url.Values{"name": {strings.Repeat("n", 257)}}, 400},
		{"source-set-key-empty", "/console/sources/tenantsrc/signing-key", url.Values{"key": {""}}, 400},
		{"source-rotate-no-key", "/console/sources/tenantsrc/rotate", url.Values{"grace": {"1h"}}, 400},
		{"source-rotate-bad-grace", "/console/sources/tenantsrc/rotate", url.Values{"key": {"NewKey"}, "grace": {"900h"}}, 400},
		{"source-delete-unconfirmed", "/console/sources/tenantsrc/delete", url.Values{}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.form != nil {
				method = "POST"
			}
			w := do(t, f.con, method, tc.target, tc.form, "HX-Request", "true")
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d:\n%s", method, tc.target, w.Code, tc.status, w.Body)
			}
			golden(t, tc.name, w.Body.String())
		})
	}
}

// TestNoSourceKeyUnlessRevealed checks that no source page, nor the answer to
// a rejected form that carried a key, shows a source's key: only the reveal
// POST does, uncached.
func TestNoSourceKeyUnlessRevealed(t *testing.T) {
	f := newFixture(t, "")
	pages := map[string]string{}
	for _, target := range []string{"/console/sources", "/console/sources/tenantsrc", "/console/sources/nokeysrc", "/console/"} {
		pages["GET "+target] = do(t, f.con, "GET", target, nil).Body.String()
	}
	for target, form := range map[string]url.Values{
		"/console/sources":                  {"name": {""}, "key": {sourceKey}},
		"/console/sources/tenantsrc/rotate": {"key": {sourceKey}, "grace": {"forever"}},
	} {
		pages["POST "+target] = do(t, f.con, "POST", target, form).Body.String()
	}
	for what, body := range pages {
		for _, secret := range []string{sourceKey, oldSourceKey} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q", what, secret)
			}
		}
	}
	w := do(t, f.con, "POST", "/console/sources/tenantsrc/key", url.Values{})
	if !strings.Contains(w.Body.String(), sourceKey) || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("reveal: %d %q, cache %q", w.Code, w.Body, w.Header().Get("Cache-Control"))
	}
	if w := do(t, f.con, "GET", "/console/sources/tenantsrc/key", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET of the key = %d, want 405", w.Code)
	}
}

// TestSourceCrossSitePostsRefused checks every state-changing source route
// against a cross-site form post.
func TestSourceCrossSitePostsRefused(t *testing.T) {
	f := newFixture(t, "")
	form := url.Values{"name": {"evil"}, "key": {"EvilKey"}, "grace": {"0s"}, "enabled": {"false"}, "confirm": {"yes"}}
	for _, target := range []string{"/console/sources", "/console/sources/tenantsrc/key", "/console/sources/tenantsrc/enabled",
		"/console/sources/tenantsrc/name", "/console/sources/tenantsrc/signing-key", "/console/sources/tenantsrc/rotate",
		"/console/sources/tenantsrc/delete"} {
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			if w := do(t, f.con, "POST", target, form, hdr...); w.Code != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", target, hdr[0], w.Code)
			}
		}
	}
	list, _ := f.sources.ListSources(t.Context())
	src, _ := f.sources.GetSource(t.Context(), "tenantsrc")
	if len(list) != 2 || !src.Enabled || src.SigningKey != sourceKey || src.Name != "acme tenant" {
		t.Errorf("a refused POST changed the sources: %+v", list)
	}
	if w := do(t, f.con, "POST", "/console/sources/tenantsrc/enabled", url.Values{"enabled": {"false"}}, "Sec-Fetch-Site", "same-origin"); w.Code != http.StatusSeeOther {
		t.Errorf("same-origin disable = %d, want 303", w.Code)
	}
	if src, _ := f.sources.GetSource(t.Context(), "tenantsrc"); src.Enabled {
		t.Error("same-origin disable did not disable")
	}
}

// TestSourceActionsLand creates a source, pastes its key, rotates, renames,
// disables and deletes it through the handler, checking the store each time.
func TestSourceActionsLand(t *testing.T) {
	f := newFixture(t, "")
	ctx := t.Context()
	w := do(t, f.con, "POST", "/console/sources", url.Values{"name": {"prod tenant"}}, "HX-Request", "true")
	to := w.Header().Get("HX-Redirect")
	id := strings.TrimPrefix(to, "/console/sources/")
	if w.Code != http.StatusNoContent || id == to || id == "" {
		t.Fatalf("create: %d %v %s", w.Code, w.Header(), w.Body)
	}
	src, err := f.sources.GetSource(ctx, id)
	if err != nil || src.Name != "prod tenant" || !src.Enabled || src.SigningKey != "" {
		t.Fatalf("created: %+v, %v", src, err)
	}
	base := "/console/sources/" + id
	step := func(what, path string, form url.Values, check func(webhook.Source) bool) {
		t.Helper()
		w := do(t, f.con, "POST", base+path, form)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != base {
			t.Fatalf("%s: %d %v %s", what, w.Code, w.Header(), w.Body)
		}
		if src, err = f.sources.GetSource(ctx, id); err != nil || !check(src) {
			t.Errorf("%s: stored %+v, %v", what, src, err)
		}
	}
	step("paste the key", "/signing-key", url.Values{"key": {" KeyOne0123456789 "}}, func(s webhook.Source) bool { return s.SigningKey == "KeyOne0123456789" })
	step("rotate", "/rotate", url.Values{"key": {"KeyTwo0123456789"}, "grace": {"2h"}}, func(s webhook.Source) bool {
		return s.SigningKey == "KeyTwo0123456789" && s.PreviousSigningKey == "KeyOne0123456789" && s.PreviousKeyExpiresAt == now.Add(2*time.Hour).UnixMilli()
	})
	step("rename", "/name", url.Values{"name": {"production"}}, func(s webhook.Source) bool { return s.Name == "production" })
	step("disable", "/enabled", url.Values{"enabled": {"false"}}, func(s webhook.Source) bool { return !s.Enabled })
	step("enable", "/enabled", url.Values{"enabled": {"true"}}, func(s webhook.Source) bool { return s.Enabled })
	if body := do(t, f.con, "GET", base, nil).Body.String(); !strings.Contains(body, "https://relay.example.com/logto/"+id) ||
		!strings.Contains(body, "the previous key is also accepted until") {
		t.Errorf("source page after the changes:\n%s", body)
	}
	if w := do(t, f.con, "POST", base+"/delete", url.Values{"confirm": {"yes"}}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/sources" {
		t.Fatalf("delete: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if _, err := f.sources.GetSource(ctx, id); err == nil {
		t.Error("the source is still stored after delete")
	}
	if w := do(t, f.con, "GET", base, nil); w.Code != http.StatusNotFound {
		t.Errorf("deleted source's page: %d", w.Code)
	}
}

// TestSourceRelayURL checks where the relay URL comes from: the console's own
// address beside the relay (webhooks dev), the configured or the backend's
// base, and otherwise a hint saying where to find it; without a sources store
// there are no Sources pages at all.
func TestSourceRelayURL(t *testing.T) {
	sources := webhooktest.NewMemorySourceStore()
	putSources(t, sources)
	open := func(cfg console.Config, b backend.Backend) *console.Console {
		b.Hooks = webhooktest.NewMemoryHookStore()
		cfg.Backend = backend.New(b, nil)
		cfg.Service = management.NewService(management.Config{Hooks: b.Hooks, Sources: b.Sources})
		return console.New(cfg)
	}
	for _, tc := range []struct {
		name string
		con  *console.Console
		want string
	}{
		{"same origin", open(console.Config{SameOriginRelay: true, RelayURL: "https://ignored/logto"}, backend.Backend{Sources: sources}), "http://tunnel.example.com:8080/logto/tenantsrc"},
		{"configured", open(console.Config{RelayURL: "http://127.0.0.1:3000/logto/"}, backend.Backend{Sources: sources, RelayURL: "https://other/logto"}), "http://127.0.0.1:3000/logto/tenantsrc"},
		{"the stack's", open(console.Config{}, backend.Backend{Sources: sources, RelayURL: "https://abc.execute-api.example.com/logto"}), "https://abc.execute-api.example.com/logto/tenantsrc"},
		{"unknown", open(console.Config{}, backend.Backend{Sources: sources}), "stack's <code>RelayUrl</code> output"},
	} {
		for _, target := range []string{"/console/sources", "/console/sources/tenantsrc"} {
			r := do(t, tc.con, "GET", "http://tunnel.example.com:8080"+target, nil)
			if body := r.Body.String(); r.Code != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("%s: GET %s = %d, want %q in:\n%s", tc.name, target, r.Code, tc.want, body)
			}
		}
	}
	none := open(console.Config{}, backend.Backend{})
	if w := do(t, none, "GET", "/console/sources", nil); w.Code != http.StatusNotFound {
		t.Errorf("sources page without a sources store: %d", w.Code)
	}
	if body := do(t, none, "GET", "/console/", nil).Body.String(); strings.Contains(body, "/console/sources") {
		t.Error("the navigation links Sources without a sources store")
	}
}
