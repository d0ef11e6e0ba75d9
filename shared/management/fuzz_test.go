package management_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// FuzzManagementInput feeds arbitrary bodies to POST /hooks and PATCH /hooks/:id:
// the API must never panic or answer 5xx, and whatever it accepts must be a hook
// that passes Hook.Validate.
func FuzzManagementInput(f *testing.F) {
	for _, tt := range hookBodyErrors {
		if len(tt.body) < 4096 {
			f.Add(tt.body)
		}
	}
	for _, s := range []string{
		``, `{}`, `{"events":["User.Created"],"config":{"url":"https://example.com"}}`,
		`{"event":"PostRegister","config":{"url":"http://example.com","headers":{"A":"b"},"retries":3.0,"timeoutMs":1e3}}`,
		`{"name":"\u00e9","enabled":false,"config":{"url":"https://[::1]:99/x"}}`,
		`{"events":["User.Created"],"config":{"url":"https://example.com","retries":-0}}`,
		`{"config":{"url":"https://example.com","retries":1e400}}`,
		`{"name":"` + strings.Repeat("é", 200) + `"}`,
	} {
		f.Add(s)
	}
	store := webhooktest.NewMemoryHookStore()
	h := management.New(management.Config{
		Hooks: store,
		Log:   webhooktest.NewMemoryDeliveryLog(),
		Now:   func() time.Time { return t0 },
	})
	seed := webhook.Hook{ID: "h1", Events: []webhook.Event{webhook.UserCreated}, URL: "https://example.com",
		SigningKey: "k", Enabled: true}
	f.Fuzz(func(t *testing.T, body string) {
		_ = store.DeleteHook(context.Background(), seed.ID) // a fresh seed for each input
		if err := store.PutHook(context.Background(), seed); err != nil {
			t.Fatal(err)
		}
		for _, req := range []struct{ method, path string }{{http.MethodPost, "/hooks"}, {http.MethodPatch, "/hooks/h1"}} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(req.method, req.path, strings.NewReader(body)))
			if w.Code < 200 || w.Code >= 500 || (w.Code >= 300 && w.Code < 400) {
				t.Fatalf("%s %s with %q: status %d, want 2xx or 4xx; body %s", req.method, req.path, body, w.Code, w.Body.String())
			}
		}
		hooks, err := store.ListHooks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, hook := range hooks {
			if err := hook.Validate(); err != nil {
				t.Fatalf("body %q stored an invalid hook %+v: %v", body, hook, err)
			}
			if hook.ID != "h1" {
				if err := store.DeleteHook(context.Background(), hook.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
