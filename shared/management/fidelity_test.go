package management_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestLegacyEventOnPatch: a hook created with Logto's deprecated `event`
// matches that field, so PATCHing `event` changes what it receives, as in
// Logto; with explicit events Logto ignores `event`.
func TestLegacyEventOnPatch(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, http.MethodPost, "/hooks", `{"event":"PostRegister","config":{"url":"https://example.com/h"}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	var created struct {
		ID    string         `json:"id"`
		Event *webhook.Event `json:"event"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &created)
	if created.Event == nil || *created.Event != webhook.PostRegister {
		t.Errorf("created hook shows event %v, want PostRegister (what was sent)", created.Event)
	}
	if w := f.do(t, http.MethodPatch, "/hooks/"+created.ID, `{"event":"PostSignIn"}`); w.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", w.Code, w.Body.String())
	}
	got, _ := f.hooks.GetHook(context.Background(), created.ID)
	if want := []webhook.Event{webhook.PostSignIn}; !reflect.DeepEqual(got.Events, want) {
		t.Errorf("after PATCH {event: PostSignIn}: events %v, want %v", got.Events, want)
	}

	explicit := f.put(t, "h2", func(h *webhook.Hook) { h.Events = []webhook.Event{webhook.UserCreated} })
	if w := f.do(t, http.MethodPatch, "/hooks/h2", `{"event":"PostSignIn"}`); w.Code != http.StatusOK {
		t.Fatalf("patch h2: %d %s", w.Code, w.Body.String())
	}
	if got, _ := f.hooks.GetHook(context.Background(), "h2"); !reflect.DeepEqual(got.Events, explicit.Events) {
		t.Errorf("PATCH event on a hook with explicit events changed them to %v; Logto keeps matching events", got.Events)
	}
	if w := f.do(t, http.MethodPatch, "/hooks/"+created.ID, `{"events":["User.Created"]}`); w.Code != http.StatusOK {
		t.Fatalf("patch events: %d", w.Code)
	}
	if w := f.do(t, http.MethodPatch, "/hooks/"+created.ID, `{"event":"PostRegister"}`); w.Code != http.StatusOK {
		t.Fatalf("patch: %d", w.Code)
	}
	if got, _ := f.hooks.GetHook(context.Background(), created.ID); !reflect.DeepEqual(got.Events, []webhook.Event{webhook.UserCreated}) {
		t.Errorf("once events were set explicitly, PATCH event changed them to %v", got.Events)
	}
}

// TestDuplicateKeysRefused: JSON decoders disagree on which of two equal keys
// counts, so a body with one is refused naming it, as ingest does.
func TestDuplicateKeysRefused(t *testing.T) {
	f := newFixture(t)
	f.put(t, "h1")
	for _, tt := range []struct{ method, path, body, field string }{
		{http.MethodPost, "/hooks", `{"events":["User.Created"],"events":["PostSignIn"],"config":{"url":"https://example.com"}}`, "events"},
		{http.MethodPost, "/hooks", `{"events":["User.Created"],"config":{"url":"https://example.com","url":"https://evil.example"}}`, "config.url"},
		{http.MethodPatch, "/hooks/h1", `{"config":{"url":"https://example.com","headers":{"X-A":"1","X-A":"2"}}}`, "config.headers.X-A"},
		{http.MethodPatch, "/hooks/h1", `{"enabled":true,"enabled":false}`, "enabled"},
		{http.MethodPatch, "/hooks/h1/signing-key", `{"grace":"1h","grace":"0s"}`, "grace"},
	} {
		wantErr(t, f.do(t, tt.method, tt.path, tt.body), http.StatusBadRequest, "guard.invalid_input", tt.field)
	}
}

// TestUnsendableHeadersRefused: a header Go's HTTP client refuses to send
// would fail every delivery, so saving it is a 400 naming the header.
func TestUnsendableHeadersRefused(t *testing.T) {
	f := newFixture(t)
	f.put(t, "h1")
	for _, tt := range []struct{ name, headers, field string }{
		{"NameWithSlash", `{"X/A":"1"}`, "config.headers"},
		{"NameNonASCII", `{"X-É":"1"}`, "config.headers"},
		{"NameWithBrace", `{"X{A}":"1"}`, "config.headers"},
		{"ValueNUL", `{"X-A":"a\u0000b"}`, "config.headers.X-A"},
		{"ValueControl", `{"X-A":"a\u0007b"}`, "config.headers.X-A"},
		{"ValueDEL", `{"X-A":"a\u007fb"}`, "config.headers.X-A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"events":["User.Created"],"config":{"url":"https://example.com","headers":` + tt.headers + `}}`
			wantErr(t, f.do(t, http.MethodPost, "/hooks", body), http.StatusBadRequest, "guard.invalid_input", tt.field)
			wantErr(t, f.do(t, http.MethodPatch, "/hooks/h1", `{"config":{"url":"https://example.com","headers":`+tt.headers+`}}`),
				http.StatusBadRequest, "guard.invalid_input", tt.field)
		})
	}
	if w := f.do(t, http.MethodPatch, "/hooks/h1", `{"config":{"url":"https://example.com","headers":{"X-Ok":"tab\there, ünïcode"}}}`); w.Code != http.StatusOK {
		t.Errorf("a sendable value (tab, UTF-8) was refused: %d %s", w.Code, w.Body.String())
	}
}
