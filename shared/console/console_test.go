package console_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/console"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html from the current output")

// now is the pinned clock of every handler test.
var now = time.Date(2026, 8, 21, 12, 30, 0, 0, time.UTC)

const testKey = "SecretSigningKey0123456789abcdef"

// fixture is a console over memory stores holding two hooks, a few attempts
// and one dead-lettered job.
type fixture struct {
	con     *console.Console
	hooks   *webhooktest.MemoryHookStore
	sources *webhooktest.MemorySourceStore
	log     *webhooktest.MemoryDeliveryLog
	queue   *webhooktest.MemoryQueue
}

func newFixture(t *testing.T, token string) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{
		hooks:   webhooktest.NewMemoryHookStore(),
		sources: webhooktest.NewMemorySourceStore(),
		log:     webhooktest.NewMemoryDeliveryLog(),
		queue:   webhooktest.NewMemoryQueue(1, time.Minute),
	}
	retries := 3
	for _, h := range []webhook.Hook{
		{ID: "crmhook", Name: "CRM sync", URL: "https://crm.example.com/logto", Events: []webhook.Event{webhook.UserCreated, webhook.UserDataUpdated},
			Headers: map[string]string{"X-Tenant": "acme-secret-value"}, SigningKey: testKey, Enabled: true, Retries: &retries,
			CreatedAt: now.Add(-48 * time.Hour).UnixMilli()},
		{ID: "billhook", Name: "billing", URL: "https://billing.example.com/hooks", Events: []webhook.Event{webhook.Event("Organization.Created")},
			SigningKey: "OtherKey0123456789abcdefOtherKey", Enabled: false, DisabledReason: "the endpoint answered 410 Gone",
			CircuitOpenUntil: now.Add(5 * time.Minute).UnixMilli(), CircuitReason: "5 consecutive failures",
			CreatedAt: now.Add(-24 * time.Hour).UnixMilli()},
	} {
		if err := f.hooks.PutHook(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range []webhook.LogEntry{
		{DeliveryID: "msg_aaa", EventID: "evt_a", Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultError, Status: 503, LatencyMs: 120,
			Error: "Request failed with status code 503 Service Unavailable", Request: `{"event":"User.Created","hookId":"crmhook"}`, Response: "down for maintenance",
			CreatedAt: now.Add(-3 * time.Hour).UnixMilli()},
		{DeliveryID: "msg_aaa", EventID: "evt_a", Event: webhook.UserCreated, Attempt: 2, Result: webhook.ResultSuccess, Status: 200, LatencyMs: 35,
			Request: `{"event":"User.Created","hookId":"crmhook"}`, Response: `{"ok":true}`, CreatedAt: now.Add(-3*time.Hour + 5*time.Second).UnixMilli()},
		{DeliveryID: "msg_bbb", EventID: "evt_b", Event: webhook.UserDataUpdated, Attempt: 1, Result: webhook.ResultError, LatencyMs: 10000,
			Error: "attempt timed out after 10s", Request: `{"event":"User.Data.Updated","hookId":"crmhook"}`, CreatedAt: now.Add(-10 * time.Minute).UnixMilli()},
	} {
		e.HookID = "crmhook"
		if err := f.log.Record(ctx, e); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	putSources(t, f.sources)
	dead := webhook.Job{Version: webhook.JobVersion, DeliveryID: "msg_dead1", EventID: "evt_d", Event: webhook.Event("Organization.Created"),
		HookID: "billhook", Payload: json.RawMessage(`{"event":"Organization.Created"}`)}
	deadLetter(t, f.queue, dead)
	svc := management.NewService(management.Config{Hooks: f.hooks, Sources: f.sources, Log: f.log, Now: func() time.Time { return now }})
	f.con = console.New(console.Config{
		Backend: backend.New(backend.Backend{Hooks: f.hooks, Log: f.log, Queue: f.queue, Dead: f.queue, Sources: f.sources,
			RelayURL: "https://relay.example.com/logto", Where: "memory"}, nil),
		Service: svc, AccessToken: token, Now: func() time.Time { return now },
	})
	return f
}

// deadLetter puts jobs straight into q's dead-letter queue.
func deadLetter(t *testing.T, q webhook.Consumer, jobs ...webhook.Job) {
	t.Helper()
	ctx := t.Context()
	if err := q.(webhook.Sender).Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.Receive(ctx, len(jobs), time.Second)
	if err != nil || len(msgs) != len(jobs) {
		t.Fatalf("receive %d jobs: %v, %v", len(jobs), len(msgs), err)
	}
	for _, m := range msgs {
		if err := q.DeadLetter(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

// do serves one request; form makes it a POST.
func do(t *testing.T, h http.Handler, method, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// golden compares got with testdata/name.golden.html, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./shared/console -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test ./shared/console -update rewrites it after a deliberate change):\n%s", name, path, got)
	}
}

// TestPagesGolden renders every page and fragment from the fixture and
// compares them with golden HTML.
func TestPagesGolden(t *testing.T) {
	f := newFixture(t, "")
	at := now.Add(-3 * time.Hour).UnixMilli()
	for _, tc := range []struct {
		name, method, target string
		form                 url.Values
		status               int
	}{
		{"hooks", "GET", "/console/", nil, 200},
		{"hook", "GET", "/console/hooks/crmhook", nil, 200},
		{"hook-disabled", "GET", "/console/hooks/billhook", nil, 200},
		{"deliveries", "GET", "/console/hooks/crmhook/deliveries?since=24h", nil, 200},
		{"deliveries-failed", "GET", "/console/hooks/crmhook/deliveries?since=1h&failed=on", nil, 200},
		{"chart", "GET", "/console/hooks/crmhook/chart", nil, 200},
		{"attempt", "GET", "/console/hooks/crmhook/attempts/msg_aaa/1?at=" + itoa(at), nil, 200},
		{"dlq", "GET", "/console/dlq", nil, 200},
		{"dlq-filtered", "GET", "/console/dlq?hook=crmhook", nil, 200},
		{"key", "POST", "/console/hooks/crmhook/key", url.Values{}, 200},
		{"edit-bad-url", "POST", "/console/hooks/crmhook/edit", url.Values{"name": {"CRM"}, "url": {"ftp://crm.example.com"}, "events": {"User.Created"}}, 400},
		{"edit-bad-event", "POST", "/console/hooks/crmhook/edit", url.Values{"url": {"https://crm.example.com/x"}, "events": {"User.Updated"}}, 400},
		{"edit-bad-header", "POST", "/console/hooks/crmhook/edit", url.Values{"url": {"https://crm.example.com/x"}, "events": {"User.Created"}, "headers": {"Bad Name: v"}}, 400},
		{"rotate", "POST", "/console/hooks/crmhook/rotate", url.Values{"grace": {"1h"}}, 200},
		{"rotate-bad-grace", "POST", "/console/hooks/crmhook/rotate", url.Values{"grace": {"forever"}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, f.con, tc.method, tc.target, tc.form, "HX-Request", "true")
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d:\n%s", tc.method, tc.target, w.Code, tc.status, w.Body)
			}
			golden(t, tc.name, w.Body.String())
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestNoKeyUnlessRevealed checks that no page carries a signing key or a
// custom header value: only the reveal POST answers the key.
func TestNoKeyUnlessRevealed(t *testing.T) {
	f := newFixture(t, "")
	at := now.Add(-3 * time.Hour).UnixMilli()
	for _, target := range []string{"/console/", "/console/hooks/crmhook", "/console/hooks/crmhook/deliveries",
		"/console/hooks/crmhook/attempts/msg_aaa/1?at=" + itoa(at), "/console/dlq"} {
		body := do(t, f.con, "GET", target, nil).Body.String()
		for _, secret := range []string{testKey, "acme-secret-value", "whsec_"} {
			if strings.Contains(body, secret) {
				t.Errorf("GET %s shows %q", target, secret)
			}
		}
	}
	w := do(t, f.con, "POST", "/console/hooks/crmhook/key", url.Values{})
	if !strings.Contains(w.Body.String(), testKey) || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("reveal: %d %q, cache %q", w.Code, w.Body, w.Header().Get("Cache-Control"))
	}
	if w := do(t, f.con, "GET", "/console/hooks/crmhook/key", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET of the key = %d, want 405", w.Code)
	}
}

// TestCrossSitePostsRefused checks every state-changing route against a
// cross-site form post, which a browser marks with Sec-Fetch-Site or Origin.
func TestCrossSitePostsRefused(t *testing.T) {
	f := newFixture(t, "")
	for _, target := range []string{"/console/hooks/crmhook/key", "/console/hooks/crmhook/enabled", "/console/hooks/crmhook/rotate",
		"/console/hooks/crmhook/test", "/console/hooks/crmhook/edit", "/console/dlq/redrive", "/console/login"} {
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			w := do(t, f.con, "POST", target, url.Values{"enabled": {"false"}, "grace": {"0s"}}, hdr...)
			if w.Code != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", target, hdr[0], w.Code)
			}
		}
	}
	h, _ := f.hooks.GetHook(t.Context(), "crmhook")
	if !h.Enabled || h.SigningKey != testKey {
		t.Errorf("a refused POST changed the hook: %+v", h)
	}
	if w := do(t, f.con, "POST", "/console/hooks/crmhook/enabled", url.Values{"enabled": {"false"}}, "Sec-Fetch-Site", "same-origin"); w.Code != http.StatusSeeOther {
		t.Errorf("same-origin disable = %d, want 303", w.Code)
	}
	if h, _ := f.hooks.GetHook(t.Context(), "crmhook"); h.Enabled {
		t.Error("same-origin disable did not disable")
	}
}

// TestEditThroughService checks that a valid edit lands through the Service
// (headers kept unless replaced) and reloads the page.
func TestEditThroughService(t *testing.T) {
	f := newFixture(t, "")
	stored, _ := f.hooks.GetHook(t.Context(), "crmhook")
	stored.MaxInFlight = 3 // set elsewhere (the API or CLI); the console's form does not show it
	if err := f.hooks.PutHook(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	w := do(t, f.con, "POST", "/console/hooks/crmhook/edit", url.Values{"name": {"CRM 2"}, "url": {"https://crm.example.com/v2"},
		"events": {"User.Created, User.Deleted"}}, "HX-Request", "true")
	if w.Code != http.StatusNoContent || w.Header().Get("HX-Redirect") != "/console/hooks/crmhook" {
		t.Fatalf("edit: %d %v %s", w.Code, w.Header(), w.Body)
	}
	h, _ := f.hooks.GetHook(t.Context(), "crmhook")
	if h.Name != "CRM 2" || h.URL != "https://crm.example.com/v2" || len(h.Events) != 2 || h.Headers["X-Tenant"] != "acme-secret-value" || h.Retries == nil || h.MaxInFlight != 3 {
		t.Errorf("after edit: %+v", h)
	}
	do(t, f.con, "POST", "/console/hooks/crmhook/edit", url.Values{"url": {h.URL}, "events": {"User.Created"}, "headers": {"X-A: 1\nX-B: 2"}})
	if h, _ = f.hooks.GetHook(t.Context(), "crmhook"); len(h.Headers) != 2 || h.Headers["X-B"] != "2" {
		t.Errorf("headers replaced: %v", h.Headers)
	}
	do(t, f.con, "POST", "/console/hooks/crmhook/edit", url.Values{"url": {h.URL}, "events": {"User.Created"}, "clear-headers": {"on"}})
	if h, _ = f.hooks.GetHook(t.Context(), "crmhook"); len(h.Headers) != 0 {
		t.Errorf("headers cleared: %v", h.Headers)
	}
}

// TestRedrive moves one job, then a filtered set, and polls the progress
// fragment to its final count.
func TestRedrive(t *testing.T) {
	f := newFixture(t, "")
	more := []webhook.Job{
		{Version: webhook.JobVersion, DeliveryID: "msg_d2", EventID: "evt_2", Event: webhook.UserCreated, HookID: "crmhook", Payload: json.RawMessage(`{}`)},
		{Version: webhook.JobVersion, DeliveryID: "msg_d3", EventID: "evt_3", Event: webhook.UserCreated, HookID: "crmhook", Payload: json.RawMessage(`{}`)},
	}
	deadLetter(t, f.queue, more...)
	redrive := func(form url.Values) string {
		t.Helper()
		body := do(t, f.con, "POST", "/console/dlq/redrive", form).Body.String()
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(body, "redrive-done"); time.Sleep(10 * time.Millisecond) {
			m := regexp.MustCompile(`hx-get="(/console/dlq/redrive/[^"]+)"`).FindStringSubmatch(body)
			if m == nil || time.Now().After(deadline) {
				t.Fatalf("no progress to poll: %s", body)
			}
			body = do(t, f.con, "GET", m[1], nil).Body.String()
		}
		return body
	}
	if got := redrive(url.Values{"delivery": {"msg_dead1"}}); !strings.Contains(got, "Moved 1 job back") {
		t.Errorf("redrive one: %s", got)
	}
	if got := redrive(url.Values{"hook": {"crmhook"}, "event": {"User.Created"}}); !strings.Contains(got, "Moved 2 jobs back") {
		t.Errorf("redrive filtered: %s", got)
	}
	if got := redrive(url.Values{}); !strings.Contains(got, "Moved 0 jobs back") {
		t.Errorf("redrive all of nothing: %s", got)
	}
	if body := do(t, f.con, "GET", "/console/dlq", nil).Body.String(); !strings.Contains(body, `id="dlq-empty"`) {
		t.Errorf("dlq after redrive:\n%s", body)
	}
}

// TestAccessToken checks that with a token every page needs it, from the
// header or the login cookie, and that the cookie is not the token.
func TestAccessToken(t *testing.T) {
	f := newFixture(t, "tok3n")
	if w := do(t, f.con, "GET", "/console/", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/login" {
		t.Errorf("no token: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := do(t, f.con, "POST", "/console/hooks/crmhook/key", url.Values{}); w.Code != http.StatusSeeOther {
		t.Errorf("reveal without a token: %d", w.Code)
	}
	if w := do(t, f.con, "GET", "/console/", nil, "Authorization", "Bearer tok3n"); w.Code != http.StatusOK {
		t.Errorf("bearer: %d", w.Code)
	}
	if w := do(t, f.con, "GET", "/console/login", nil); w.Code != http.StatusOK {
		t.Errorf("login page: %d", w.Code)
	}
	if w := do(t, f.con, "POST", "/console/login", url.Values{"token": {"wrong"}}); w.Header().Get("Location") != "/console/login?failed=1" || len(w.Result().Cookies()) != 0 {
		t.Errorf("wrong token: %v %v", w.Header(), w.Result().Cookies())
	}
	w := do(t, f.con, "POST", "/console/login", url.Values{"token": {"tok3n"}})
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || strings.Contains(cookies[0].Value, "tok3n") {
		t.Fatalf("login cookie: %+v", cookies)
	}
	if w := do(t, f.con, "GET", "/console/", nil, "Cookie", cookies[0].Name+"="+cookies[0].Value); w.Code != http.StatusOK {
		t.Errorf("with the cookie: %d", w.Code)
	}
	if w := do(t, f.con, "GET", "/console/assets/htmx.min.js", nil); w.Code != http.StatusOK {
		t.Errorf("assets need no token: %d", w.Code)
	}
}
