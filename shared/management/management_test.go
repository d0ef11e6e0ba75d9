package management_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// t0 is the pinned clock of every test.
var t0 = time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)

type fixture struct {
	h      http.Handler
	hooks  *webhooktest.MemoryHookStore
	log    *webhooktest.MemoryDeliveryLog
	logged *bytes.Buffer
}

func newFixture(t *testing.T, opts ...func(*management.Config)) *fixture {
	t.Helper()
	f := &fixture{
		hooks:  webhooktest.NewMemoryHookStore(),
		log:    webhooktest.NewMemoryDeliveryLog(),
		logged: &bytes.Buffer{},
	}
	f.hooks.Now = func() time.Time { return t0 }
	f.log.Now = func() time.Time { return t0 }
	cfg := management.Config{
		Hooks:  f.hooks,
		Log:    f.log,
		Now:    func() time.Time { return t0 },
		Logger: slog.New(slog.NewTextHandler(f.logged, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.h = management.New(cfg)
	return f
}

func (f *fixture) do(t *testing.T, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// put stores a valid hook and returns it.
func (f *fixture) put(t *testing.T, id string, mutate ...func(*webhook.Hook)) webhook.Hook {
	t.Helper()
	h := webhook.Hook{
		ID:         id,
		Name:       "hook " + id,
		Events:     []webhook.Event{webhook.UserCreated},
		URL:        "https://example.com/" + id,
		SigningKey: "key-of-" + id + strings.Repeat("x", 20),
		Enabled:    true,
		CreatedAt:  t0.Add(-time.Hour).UnixMilli(),
	}
	for _, m := range mutate {
		m(&h)
	}
	if err := f.hooks.PutHook(context.Background(), h); err != nil {
		t.Fatalf("put hook: %v", err)
	}
	h.Version++ // as stored
	return h
}

func (f *fixture) stored(t *testing.T) []webhook.Hook {
	t.Helper()
	hooks, err := f.hooks.ListHooks(context.Background())
	if err != nil {
		t.Fatalf("list hooks: %v", err)
	}
	return hooks
}

type apiErr struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func decodeErr(t *testing.T, w *httptest.ResponseRecorder) apiErr {
	t.Helper()
	var e apiErr
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	return e
}

// wantErr checks status, code and (when field is not "") data.field and that the
// message names the field.
func wantErr(t *testing.T, w *httptest.ResponseRecorder, status int, code, field string) apiErr {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body.String())
	}
	e := decodeErr(t, w)
	if e.Code != code {
		t.Errorf("code = %q, want %q (message %q)", e.Code, code, e.Message)
	}
	if field != "" {
		if got, _ := e.Data["field"].(string); got != field {
			t.Errorf("data.field = %q, want %q (message %q)", got, field, e.Message)
		}
		if !strings.Contains(e.Message, field) {
			t.Errorf("message %q does not name %q", e.Message, field)
		}
	}
	return e
}

// keysOf returns the top-level keys of a JSON object in document order.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body %s is not an object", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	return keys
}

func TestRoutes(t *testing.T) {
	f := newFixture(t)
	f.put(t, "h1")
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
		wantAllow          string
	}{
		{"RootPrefix", http.MethodGet, "/hooks", http.StatusOK, "", ""},
		{"APIPrefix", http.MethodGet, "/api/hooks", http.StatusOK, "", ""},
		{"APIPrefixByID", http.MethodGet, "/api/hooks/h1", http.StatusOK, "", ""},
		{"TrailingSlash", http.MethodGet, "/hooks/", http.StatusOK, "", ""},
		{"UnknownRoot", http.MethodGet, "/users", http.StatusNotFound, "route.not_found", ""},
		{"UnknownSubresource", http.MethodGet, "/hooks/h1/secrets", http.StatusNotFound, "route.not_found", ""},
		{"EmptyID", http.MethodGet, "/hooks//test", http.StatusNotFound, "route.not_found", ""},
		{"TooDeep", http.MethodGet, "/hooks/h1/test/x", http.StatusNotFound, "route.not_found", ""},
		{"APINotAPrefixOfAPIX", http.MethodGet, "/apix/hooks", http.StatusNotFound, "route.not_found", ""},
		{"APIWithoutSlash", http.MethodGet, "/apihooks", http.StatusNotFound, "route.not_found", ""},
		{"WrongMethodOnCollection", http.MethodDelete, "/hooks", http.StatusMethodNotAllowed, "route.method_not_allowed", "GET, POST"},
		{"WrongMethodOnHook", http.MethodPost, "/hooks/h1", http.StatusMethodNotAllowed, "route.method_not_allowed", "GET, PATCH, DELETE"},
		{"WrongMethodOnSigningKey", http.MethodPost, "/hooks/h1/signing-key", http.StatusMethodNotAllowed, "route.method_not_allowed", "PATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, tt.method, tt.path, "")
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.wantStatus, w.Body.String())
			}
			if tt.wantCode != "" {
				if got := decodeErr(t, w).Code; got != tt.wantCode {
					t.Errorf("code = %q, want %q", got, tt.wantCode)
				}
			}
			if got := w.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

// failingStore fails every call with an error that must never reach clients.
type failingStore struct{ webhook.HookStore }

var errBackend = errors.New("dynamodb: connection refused to secret-table-name")

func (failingStore) ListHooks(context.Context) ([]webhook.Hook, error) { return nil, errBackend }
func (failingStore) GetHook(context.Context, string) (webhook.Hook, error) {
	return webhook.Hook{}, errBackend
}
func (failingStore) PutHook(context.Context, webhook.Hook) error { return errBackend }
func (failingStore) DeleteHook(context.Context, string) error    { return errBackend }

func TestInternalErrors(t *testing.T) {
	f := newFixture(t, func(c *management.Config) {
		c.Hooks = failingStore{}
		c.Poster = &fakeSender{t: t}
	})
	valid := `{"events":["User.Created"],"config":{"url":"https://example.com/"}}`
	tests := []struct{ name, method, path, body string }{
		{"List", http.MethodGet, "/hooks", ""},
		{"Get", http.MethodGet, "/hooks/h1", ""},
		{"Create", http.MethodPost, "/hooks", valid},
		{"Update", http.MethodPatch, "/hooks/h1", `{"name":"x"}`},
		{"Rotate", http.MethodPatch, "/hooks/h1/signing-key", ""},
		{"Delete", http.MethodDelete, "/hooks/h1", ""},
		{"Test", http.MethodPost, "/hooks/h1/test", valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.logged.Reset()
			w := f.do(t, tt.method, tt.path, tt.body)
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500; body %s", w.Code, w.Body.String())
			}
			if got, want := strings.TrimSpace(w.Body.String()), `{"code":"internal_error","message":"internal error"}`; got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if !strings.Contains(f.logged.String(), errBackend.Error()) {
				t.Errorf("log %q lacks the backend error", f.logged.String())
			}
		})
	}
}

func TestNewPanicsWithoutStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with nil Hooks did not panic")
		}
	}()
	management.New(management.Config{})
}

func TestNilLogGivesZeroStatsAndNoLogs(t *testing.T) {
	f := newFixture(t, func(c *management.Config) { c.Log = nil })
	f.put(t, "h1")
	w := f.do(t, http.MethodGet, "/hooks/h1?includeExecutionStats=1", "")
	var got struct{ ExecutionStats *webhook.Stats }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.ExecutionStats == nil {
		t.Fatalf("body %s: err %v, want executionStats", w.Body.String(), err)
	}
	if !reflect.DeepEqual(*got.ExecutionStats, webhook.Stats{}) {
		t.Errorf("executionStats = %+v, want zero", *got.ExecutionStats)
	}
	w = f.do(t, http.MethodGet, "/hooks/h1/recent-logs", "")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("recent-logs = %d %s, want 200 []", w.Code, w.Body.String())
	}
}
