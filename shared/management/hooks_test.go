package management_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// hookOut is the Hook JSON as clients read it.
type hookOut struct {
	TenantID             string          `json:"tenantId"`
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Event                *string         `json:"event"`
	Events               []webhook.Event `json:"events"`
	Config               map[string]any  `json:"config"`
	SigningKey           string          `json:"signingKey"`
	Enabled              bool            `json:"enabled"`
	CreatedAt            int64           `json:"createdAt"`
	PreviousKeyExpiresAt int64           `json:"previousKeyExpiresAt"`
	DisabledReason       string          `json:"disabledReason"`
	ExecutionStats       *webhook.Stats  `json:"executionStats"`
}

func decodeHook(t *testing.T, body []byte) hookOut {
	t.Helper()
	var h hookOut
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("hook body %s: %v", body, err)
	}
	return h
}

var (
	hookIDPattern = regexp.MustCompile(`^[0-9a-z]{21}$`)
	keyPattern    = regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)
)

func TestCreateHook(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, http.MethodPost, "/hooks",
		`{"name":"crm","events":["User.Created","PostRegister","User.Created"],
		  "config":{"url":"https://example.com/hook?a=1&b=2","headers":{"X-Tenant":"t1"},"retries":2,"timeoutMs":5000},
		  "id":"ignored","signingKey":"ignored","tenantId":"other","createdAt":1}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", w.Code, w.Body.String())
	}
	wantKeys := []string{"tenantId", "id", "name", "event", "events", "config", "signingKey", "enabled", "createdAt"}
	if got := keysOf(t, w.Body.Bytes()); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("keys = %v, want %v", got, wantKeys)
	}
	if !strings.Contains(w.Body.String(), `"https://example.com/hook?a=1&b=2"`) {
		t.Errorf("url is HTML-escaped in %s", w.Body.String())
	}
	got := decodeHook(t, w.Body.Bytes())
	if got.TenantID != "default" || got.Event != nil || got.Name != "crm" || !got.Enabled {
		t.Errorf("tenantId, event, name, enabled = %q, %v, %q, %v; want default, null, crm, true",
			got.TenantID, got.Event, got.Name, got.Enabled)
	}
	if !hookIDPattern.MatchString(got.ID) || got.ID == "ignored" {
		t.Errorf("id = %q, want 21 chars of [0-9a-z]", got.ID)
	}
	if !keyPattern.MatchString(got.SigningKey) {
		t.Errorf("signingKey = %q, want 32 alphanumerics", got.SigningKey)
	}
	if want := []webhook.Event{webhook.UserCreated, webhook.PostRegister}; !reflect.DeepEqual(got.Events, want) {
		t.Errorf("events = %v, want %v (deduplicated)", got.Events, want)
	}
	wantConfig := map[string]any{"url": "https://example.com/hook?a=1&b=2", "headers": map[string]any{"X-Tenant": "t1"},
		"retries": float64(2), "timeoutMs": float64(5000)}
	if !reflect.DeepEqual(got.Config, wantConfig) {
		t.Errorf("config = %v, want %v", got.Config, wantConfig)
	}
	if got.CreatedAt != t0.UnixMilli() {
		t.Errorf("createdAt = %d, want %d", got.CreatedAt, t0.UnixMilli())
	}
	stored, err := f.hooks.GetHook(context.Background(), got.ID)
	if err != nil {
		t.Fatalf("stored hook: %v", err)
	}
	retries := 2
	want := webhook.Hook{ID: got.ID, Name: "crm", Events: got.Events, URL: "https://example.com/hook?a=1&b=2",
		Headers: map[string]string{"X-Tenant": "t1"}, SigningKey: got.SigningKey, Enabled: true, Retries: &retries,
		TimeoutMs: 5000, CreatedAt: t0.UnixMilli(), UpdatedAt: t0.UnixMilli(), Version: 1}
	if !reflect.DeepEqual(stored, want) {
		t.Errorf("stored = %+v, want %+v", stored, want)
	}
}

func TestCreateHookVariants(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantEvents  []webhook.Event
		wantEnabled bool
		wantName    string
	}{
		{"LegacyEvent", `{"event":"PostSignIn","config":{"url":"http://example.com"}}`,
			[]webhook.Event{webhook.PostSignIn}, true, ""},
		{"EventsWinOverLegacyEvent", `{"event":"PostSignIn","events":["Role.Created"],"config":{"url":"http://example.com"}}`,
			[]webhook.Event{webhook.RoleCreated}, true, ""},
		{"Disabled", `{"events":["Role.Created"],"config":{"url":"http://example.com"},"enabled":false}`,
			[]webhook.Event{webhook.RoleCreated}, false, ""},
		{"ToleratesResponseFields", `{"name":"n","events":["Role.Created"],"config":{"url":"http://example.com"},
			"executionStats":{"requestCount":1},"previousKeyExpiresAt":5,"disabledReason":"x"}`,
			[]webhook.Event{webhook.RoleCreated}, true, "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(t, http.MethodPost, "/hooks", tt.body)
			if w.Code != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", w.Code, w.Body.String())
			}
			got := decodeHook(t, w.Body.Bytes())
			if !reflect.DeepEqual(got.Events, tt.wantEvents) || got.Enabled != tt.wantEnabled || got.Name != tt.wantName {
				t.Errorf("events, enabled, name = %v, %v, %q; want %v, %v, %q",
					got.Events, got.Enabled, got.Name, tt.wantEvents, tt.wantEnabled, tt.wantName)
			}
			if got.DisabledReason != "" || got.ExecutionStats != nil {
				t.Errorf("response-only fields were taken from the body: %s", w.Body.String())
			}
		})
	}
}

// hookBodyErrors are invalid POST bodies; each must leave the store unchanged.
var hookBodyErrors = []struct {
	name, body string
	status     int
	code       string
	field      string
}{
	{"MissingEvents", `{"config":{"url":"https://example.com"}}`, 400, "hook.missing_events", ""},
	{"NullLegacyEvent", `{"event":null,"config":{"url":"https://example.com"}}`, 400, "hook.missing_events", ""},
	{"EmptyEvents", `{"events":[],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "events"},
	{"NullEvents", `{"events":null,"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "events"},
	{"EventsNotArray", `{"events":"User.Created","config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "events"},
	{"UnknownEvent", `{"events":["User.Created","User.Updated"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "events[1]"},
	{"EventNotString", `{"events":[1],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "events[0]"},
	{"UnknownLegacyEvent", `{"event":"PostSignUp","config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "event"},
	{"EmptyName", `{"name":"","events":["User.Created"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "name"},
	{"LongName", `{"name":"` + strings.Repeat("n", 257) + `","events":["User.Created"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "name"},
	{"NameNotString", `{"name":7,"events":["User.Created"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "name"},
	{"EnabledNotBool", `{"enabled":"yes","events":["User.Created"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "enabled"},
	{"MissingConfig", `{"events":["User.Created"]}`, 400, "guard.invalid_input", "config"},
	{"ConfigNotObject", `{"events":["User.Created"],"config":"https://example.com"}`, 400, "guard.invalid_input", "config"},
	{"MissingURL", `{"events":["User.Created"],"config":{}}`, 400, "guard.invalid_input", "config.url"},
	{"NotWorkURL", `{"events":["User.Created"],"config":{"url":"not_work_url"}}`, 400, "guard.invalid_input", "config.url"},
	{"FTPURL", `{"events":["User.Created"],"config":{"url":"ftp://example.com"}}`, 400, "guard.invalid_input", "config.url"},
	{"URLWithCredentials", `{"events":["User.Created"],"config":{"url":"https://u:p@example.com"}}`, 400, "guard.invalid_input", "config.url"},
	{"BadHeaderName", `{"events":["User.Created"],"config":{"url":"https://example.com","headers":{"Bad Name":"v"}}}`, 400, "guard.invalid_input", "config.headers"},
	{"HeaderValueNotString", `{"events":["User.Created"],"config":{"url":"https://example.com","headers":{"X-A":1}}}`, 400, "guard.invalid_input", "config.headers.X-A"},
	{"HeaderValueLineBreak", `{"events":["User.Created"],"config":{"url":"https://example.com","headers":{"X-A":"a\r\nB: c"}}}`, 400, "guard.invalid_input", "config.headers.X-A"},
	{"RetriesTooHigh", `{"events":["User.Created"],"config":{"url":"https://example.com","retries":21}}`, 400, "guard.invalid_input", "config.retries"},
	{"RetriesFraction", `{"events":["User.Created"],"config":{"url":"https://example.com","retries":1.5}}`, 400, "guard.invalid_input", "config.retries"},
	{"RetriesString", `{"events":["User.Created"],"config":{"url":"https://example.com","retries":"2"}}`, 400, "guard.invalid_input", "config.retries"},
	{"TimeoutTooLong", `{"events":["User.Created"],"config":{"url":"https://example.com","timeoutMs":60001}}`, 400, "guard.invalid_input", "config.timeoutMs"},
	{"MaxInFlightTooHigh", `{"events":["User.Created"],"config":{"url":"https://example.com","maxInFlight":1001}}`, 400, "guard.invalid_input", "config.maxInFlight"},
	{"MaxInFlightNegative", `{"events":["User.Created"],"config":{"url":"https://example.com","maxInFlight":-1}}`, 400, "guard.invalid_input", "config.maxInFlight"},
	{"UnknownField", `{"evnts":["User.Created"],"events":["User.Created"],"config":{"url":"https://example.com"}}`, 400, "guard.invalid_input", "evnts"},
	{"UnknownConfigField", `{"events":["User.Created"],"config":{"url":"https://example.com","secret":"s"}}`, 400, "guard.invalid_input", "config.secret"},
	{"MalformedJSON", `{"events":["User.Created"],`, 400, "guard.invalid_input", ""},
	{"TrailingGarbage", `{"events":["User.Created"],"config":{"url":"https://example.com"}} x`, 400, "guard.invalid_input", ""},
	{"NotAnObject", `["User.Created"]`, 400, "guard.invalid_input", ""},
	{"Null", `null`, 400, "guard.invalid_input", ""},
	{"TooLarge", `{"name":"` + strings.Repeat("a", management.MaxBodyBytes) + `"}`, 413, "request.body_too_large", ""},
	{"RefusedByCheckURL", `{"events":["User.Created"],"config":{"url":"http://169.254.169.254/"}}`, 400, "guard.invalid_input", "config.url"},
}

// refusePrivate is a CheckURL that refuses the metadata address.
func refusePrivate(_ context.Context, url string) error {
	if strings.Contains(url, "169.254.") {
		return errors.New("resolves to a link-local address")
	}
	return nil
}

func TestCreateHookErrors(t *testing.T) {
	for _, tt := range hookBodyErrors {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *management.Config) { c.CheckURL = refusePrivate })
			w := f.do(t, http.MethodPost, "/hooks", tt.body)
			wantErr(t, w, tt.status, tt.code, tt.field)
			if got := f.stored(t); len(got) != 0 {
				t.Errorf("store holds %d hooks after a %d, want 0", len(got), tt.status)
			}
		})
	}
}

func TestCreateHookUnknownEventSuggests(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, http.MethodPost, "/hooks", `{"events":["Role.Data.Update"],"config":{"url":"https://example.com"}}`)
	e := wantErr(t, w, 400, "guard.invalid_input", "events[0]")
	if e.Data["suggestion"] != "Role.Data.Updated" || !strings.Contains(e.Message, `"Role.Data.Updated"`) {
		t.Errorf("error %+v does not suggest Role.Data.Updated", e)
	}
}

func TestGetHook(t *testing.T) {
	f := newFixture(t)
	f.put(t, "h1", func(h *webhook.Hook) {
		h.Enabled, h.DisabledReason = false, "410 Gone"
		h.PreviousSigningKey, h.PreviousKeyExpiresAt = "old-key-must-not-leak", t0.Add(time.Hour).UnixMilli()
	})
	f.record(t, "h1", webhook.ResultSuccess, t0.Add(-time.Minute))
	f.record(t, "h1", webhook.ResultError, t0.Add(-2*time.Minute))
	f.record(t, "h1", webhook.ResultSuccess, t0.Add(-25*time.Hour))

	tests := []struct {
		name      string
		query     string
		wantStats *webhook.Stats
	}{
		{"NoStats", "", nil},
		{"EmptyValueIsFalsy", "?includeExecutionStats=", nil},
		{"Yes", "?includeExecutionStats=true", &webhook.Stats{RequestCount: 2, SuccessCount: 1}},
		{"RawTruthinessOfFalse", "?includeExecutionStats=false", &webhook.Stats{RequestCount: 2, SuccessCount: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, http.MethodGet, "/hooks/h1"+tt.query, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body.String())
			}
			if strings.Contains(w.Body.String(), "old-key-must-not-leak") {
				t.Errorf("body leaks the previous signing key: %s", w.Body.String())
			}
			got := decodeHook(t, w.Body.Bytes())
			if !reflect.DeepEqual(got.ExecutionStats, tt.wantStats) {
				t.Errorf("executionStats = %v, want %v", got.ExecutionStats, tt.wantStats)
			}
			if got.DisabledReason != "410 Gone" || got.PreviousKeyExpiresAt != t0.Add(time.Hour).UnixMilli() {
				t.Errorf("disabledReason, previousKeyExpiresAt = %q, %d; want 410 Gone, %d",
					got.DisabledReason, got.PreviousKeyExpiresAt, t0.Add(time.Hour).UnixMilli())
			}
		})
	}
	t.Run("NotFound", func(t *testing.T) {
		e := wantErr(t, f.do(t, http.MethodGet, "/hooks/nope", ""), 404, "entity.not_exists_with_id", "")
		if !strings.Contains(e.Message, "nope") {
			t.Errorf("message %q does not name the id", e.Message)
		}
	})
	t.Run("ExpiredPreviousKeyHidden", func(t *testing.T) {
		f.put(t, "h2", func(h *webhook.Hook) {
			h.PreviousSigningKey, h.PreviousKeyExpiresAt = "old", t0.Add(-time.Second).UnixMilli()
		})
		w := f.do(t, http.MethodGet, "/hooks/h2", "")
		if strings.Contains(w.Body.String(), "previousKeyExpiresAt") {
			t.Errorf("expired rotation still reported: %s", w.Body.String())
		}
	})
}

func (f *fixture) record(t *testing.T, hookID string, res webhook.Result, at time.Time) webhook.LogEntry {
	t.Helper()
	e := webhook.LogEntry{
		HookID: hookID, DeliveryID: fmt.Sprintf("msg_%d", at.UnixMilli()), EventID: "evt_1",
		Event: webhook.UserCreated, Attempt: 1, Result: res, Status: 200, LatencyMs: 12,
		Request: `{"event":"User.Created","hookId":"` + hookID + `"}`, Response: "ok", CreatedAt: at.UnixMilli(),
	}
	if res == webhook.ResultError {
		e.Status, e.Error, e.Response = 500, "Request failed with status code 500", `{"error":"boom"}`
	}
	if err := f.log.Record(context.Background(), e); err != nil {
		t.Fatalf("record: %v", err)
	}
	return e
}

func TestListHooks(t *testing.T) {
	f := newFixture(t)
	for i, id := range []string{"old", "mid", "new"} {
		f.put(t, id, func(h *webhook.Hook) { h.CreatedAt = t0.Add(time.Duration(i-10) * time.Minute).UnixMilli() })
	}
	f.record(t, "new", webhook.ResultSuccess, t0.Add(-time.Minute))

	ids := func(t *testing.T, body []byte) []string {
		t.Helper()
		var hooks []hookOut
		if err := json.Unmarshal(body, &hooks); err != nil {
			t.Fatalf("list body %s: %v", body, err)
		}
		var out []string
		for _, h := range hooks {
			out = append(out, h.ID)
		}
		return out
	}
	t.Run("NewestFirstWithoutPagination", func(t *testing.T) {
		w := f.do(t, http.MethodGet, "/hooks", "")
		if got, want := ids(t, w.Body.Bytes()), []string{"new", "mid", "old"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ids = %v, want %v", got, want)
		}
		if got := w.Header().Get("Total-Number"); got != "" {
			t.Errorf("Total-Number = %q without pagination, want none", got)
		}
	})
	t.Run("Paginated", func(t *testing.T) {
		w := f.do(t, http.MethodGet, "/hooks?page=2&page_size=2", "")
		if got, want := ids(t, w.Body.Bytes()), []string{"old"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ids = %v, want %v", got, want)
		}
		if got := w.Header().Get("Total-Number"); got != "3" {
			t.Errorf("Total-Number = %q, want 3", got)
		}
		links := strings.Join(w.Header().Values("Link"), ", ")
		for _, want := range []string{`</hooks?page=1&page_size=2>; rel="first"`, `</hooks?page=2&page_size=2>; rel="last"`, `rel="prev"`} {
			if !strings.Contains(links, want) {
				t.Errorf("Link %q lacks %q", links, want)
			}
		}
		if strings.Contains(links, `rel="next"`) {
			t.Errorf("Link %q has next on the last page", links)
		}
	})
	t.Run("PageSizeOnly", func(t *testing.T) {
		w := f.do(t, http.MethodGet, "/hooks?page_size=1", "")
		if got, want := ids(t, w.Body.Bytes()), []string{"new"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ids = %v, want %v", got, want)
		}
	})
	for _, q := range []string{"page=0", "page=x", "page_size=101", "page_size=-1", "page=1.5"} {
		t.Run("BadPagination_"+q, func(t *testing.T) {
			wantErr(t, f.do(t, http.MethodGet, "/hooks?"+q, ""), 400, "guard.invalid_pagination", "")
		})
	}
	for _, tt := range []struct {
		value     string
		wantStats bool
	}{{"1", true}, {"true", true}, {"Yes", true}, {"y", true}, {"yep", true}, {"YEAH", true},
		{"", false}, {"false", false}, {"no", false}, {"2", false}} {
		t.Run("includeExecutionStats="+tt.value, func(t *testing.T) {
			w := f.do(t, http.MethodGet, "/hooks?includeExecutionStats="+tt.value, "")
			var hooks []hookOut
			if err := json.Unmarshal(w.Body.Bytes(), &hooks); err != nil || len(hooks) != 3 {
				t.Fatalf("body %s: %v", w.Body.String(), err)
			}
			if got := hooks[0].ExecutionStats != nil; got != tt.wantStats {
				t.Fatalf("stats included = %v, want %v", got, tt.wantStats)
			}
			if tt.wantStats && (*hooks[0].ExecutionStats != webhook.Stats{RequestCount: 1, SuccessCount: 1}) {
				t.Errorf("stats of new = %+v, want 1/1", *hooks[0].ExecutionStats)
			}
		})
	}
}

func TestUpdateHook(t *testing.T) {
	retries := 3
	base := func(h *webhook.Hook) {
		h.Headers = map[string]string{"X-Old": "1"}
		h.Retries = &retries
		h.TimeoutMs = 3000
		h.Enabled, h.DisabledReason = false, "410 Gone"
	}
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, before, after webhook.Hook)
	}{
		{"EmptyBodyKeepsAll", ``, func(t *testing.T, before, after webhook.Hook) {
			before.UpdatedAt, before.Version = after.UpdatedAt, before.Version+1
			if !reflect.DeepEqual(before, after) {
				t.Errorf("after = %+v, want %+v", after, before)
			}
		}},
		{"Name", `{"name":"renamed"}`, func(t *testing.T, before, after webhook.Hook) {
			if after.Name != "renamed" || after.URL != before.URL {
				t.Errorf("name, url = %q, %q", after.Name, after.URL)
			}
		}},
		{"EventsReplacedAndDeduplicated", `{"events":["Role.Created","Role.Created","User.Deleted"]}`, func(t *testing.T, _, after webhook.Hook) {
			if want := []webhook.Event{webhook.RoleCreated, webhook.UserDeleted}; !reflect.DeepEqual(after.Events, want) {
				t.Errorf("events = %v, want %v", after.Events, want)
			}
		}},
		{"LegacyEventIgnoredWhileEventsSet", `{"event":"PostSignIn"}`, func(t *testing.T, before, after webhook.Hook) {
			if !reflect.DeepEqual(after.Events, before.Events) {
				t.Errorf("events = %v, want %v", after.Events, before.Events)
			}
		}},
		{"ConfigIsReplacedNotMerged", `{"config":{"url":"https://new.example.com"}}`, func(t *testing.T, _, after webhook.Hook) {
			if after.URL != "https://new.example.com" || after.Headers != nil || after.Retries != nil || after.TimeoutMs != 0 {
				t.Errorf("url, headers, retries, timeoutMs = %q, %v, %v, %d; want new url and the rest reset",
					after.URL, after.Headers, after.Retries, after.TimeoutMs)
			}
		}},
		{"EnableClearsDisabledReason", `{"enabled":true}`, func(t *testing.T, _, after webhook.Hook) {
			if !after.Enabled || after.DisabledReason != "" {
				t.Errorf("enabled, disabledReason = %v, %q; want true, empty", after.Enabled, after.DisabledReason)
			}
		}},
		{"SigningKeyIgnored", `{"signingKey":"attacker-chosen","id":"other"}`, func(t *testing.T, before, after webhook.Hook) {
			if after.SigningKey != before.SigningKey || after.ID != before.ID {
				t.Errorf("signingKey, id = %q, %q; want unchanged", after.SigningKey, after.ID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.put(t, "h1", base)
			w := f.do(t, http.MethodPatch, "/api/hooks/h1", tt.body)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body.String())
			}
			after, err := f.hooks.GetHook(context.Background(), "h1")
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			tt.check(t, before, after)
			if after.UpdatedAt != t0.UnixMilli() {
				t.Errorf("updatedAt = %d, want %d", after.UpdatedAt, t0.UnixMilli())
			}
			if got := decodeHook(t, w.Body.Bytes()); got.Name != after.Name || !reflect.DeepEqual(got.Events, after.Events) {
				t.Errorf("response %s does not show the stored hook %+v", w.Body.String(), after)
			}
		})
	}
}

func TestUpdateHookErrors(t *testing.T) {
	t.Run("NotFound", func(t *testing.T) {
		f := newFixture(t)
		wantErr(t, f.do(t, http.MethodPatch, "/hooks/nope", `{"name":"x"}`), 404, "entity.not_exists", "")
	})
	for _, tt := range hookBodyErrors {
		if tt.code == "hook.missing_events" || tt.field == "config" && strings.Contains(tt.name, "Missing") {
			continue // PATCH bodies are partial
		}
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *management.Config) { c.CheckURL = refusePrivate })
			before := f.put(t, "h1")
			w := f.do(t, http.MethodPatch, "/hooks/h1", tt.body)
			wantErr(t, w, tt.status, tt.code, tt.field)
			after, err := f.hooks.GetHook(context.Background(), "h1")
			if err != nil || !reflect.DeepEqual(after, before) {
				t.Errorf("stored hook changed on %d: %+v, want %+v (err %v)", tt.status, after, before, err)
			}
		})
	}
}

func TestRotateSigningKey(t *testing.T) {
	tests := []struct {
		name       string
		path, body string
		configured time.Duration
		wantGrace  time.Duration
	}{
		{"DefaultGrace", "/hooks/h1/signing-key", "", 0, 24 * time.Hour},
		{"ConfiguredGrace", "/hooks/h1/signing-key", "", time.Hour, time.Hour},
		{"ImmediateByConfig", "/hooks/h1/signing-key", "", -1, 0},
		{"EmptyObjectBody", "/hooks/h1/signing-key", "{}", 0, 24 * time.Hour},
		{"BodyGrace", "/hooks/h1/signing-key", `{"grace":"90m"}`, 0, 90 * time.Minute},
		{"QueryGrace", "/api/hooks/h1/signing-key?grace=2h", "", 0, 2 * time.Hour},
		{"BodyWinsOverQuery", "/hooks/h1/signing-key?grace=2h", `{"grace":"3h"}`, 0, 3 * time.Hour},
		{"ImmediateByQuery", "/hooks/h1/signing-key?grace=0s", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *management.Config) { c.RotationGrace = tt.configured })
			before := f.put(t, "h1")
			w := f.do(t, http.MethodPatch, tt.path, tt.body)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body.String())
			}
			if strings.Contains(w.Body.String(), before.SigningKey) {
				t.Errorf("response leaks the previous key: %s", w.Body.String())
			}
			got := decodeHook(t, w.Body.Bytes())
			after, err := f.hooks.GetHook(context.Background(), "h1")
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if !keyPattern.MatchString(got.SigningKey) || got.SigningKey == before.SigningKey || after.SigningKey != got.SigningKey {
				t.Errorf("signingKey = %q (stored %q), want a new 32-char key", got.SigningKey, after.SigningKey)
			}
			wantPrev, wantExp := "", int64(0)
			if tt.wantGrace > 0 {
				wantPrev, wantExp = before.SigningKey, t0.Add(tt.wantGrace).UnixMilli()
			}
			if after.PreviousSigningKey != wantPrev || after.PreviousKeyExpiresAt != wantExp || got.PreviousKeyExpiresAt != wantExp {
				t.Errorf("previous key, stored expiry, reported expiry = %q, %d, %d; want %q, %d, %d",
					after.PreviousSigningKey, after.PreviousKeyExpiresAt, got.PreviousKeyExpiresAt, wantPrev, wantExp, wantExp)
			}
			if wantKeys := after.SigningKeys(t0); len(wantKeys) != 1+min(1, int(tt.wantGrace)) {
				t.Errorf("SigningKeys(now) = %d keys, want %d", len(wantKeys), 1+min(1, int(tt.wantGrace)))
			}
		})
	}
}

func TestRotateSigningKeyErrors(t *testing.T) {
	tests := []struct {
		name, path, body string
		status           int
		code, field      string
	}{
		{"NotFound", "/hooks/nope/signing-key", "", 404, "entity.not_exists", ""},
		{"BadDuration", "/hooks/h1/signing-key?grace=soon", "", 400, "guard.invalid_input", "grace"},
		{"NegativeGrace", "/hooks/h1/signing-key", `{"grace":"-1h"}`, 400, "guard.invalid_input", "grace"},
		{"GraceTooLong", "/hooks/h1/signing-key", `{"grace":"721h"}`, 400, "guard.invalid_input", "grace"},
		{"GraceNotString", "/hooks/h1/signing-key", `{"grace":3600}`, 400, "guard.invalid_input", "grace"},
		{"UnknownField", "/hooks/h1/signing-key", `{"key":"mine"}`, 400, "guard.invalid_input", "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.put(t, "h1")
			wantErr(t, f.do(t, http.MethodPatch, tt.path, tt.body), tt.status, tt.code, tt.field)
			if after, _ := f.hooks.GetHook(context.Background(), "h1"); !reflect.DeepEqual(after, before) {
				t.Errorf("stored hook changed: %+v, want %+v", after, before)
			}
		})
	}
}

func TestDeleteHook(t *testing.T) {
	f := newFixture(t)
	f.put(t, "h1")
	f.put(t, "h2")
	w := f.do(t, http.MethodDelete, "/hooks/h1", "")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("status = %d, body %q; want 204 and no body", w.Code, w.Body.String())
	}
	if got := f.stored(t); len(got) != 1 || got[0].ID != "h2" {
		t.Errorf("store = %+v, want only h2", got)
	}
	wantErr(t, f.do(t, http.MethodDelete, "/hooks/h1", ""), 404, "entity.not_found", "")
}

func TestReenableClearsFailureClock(t *testing.T) {
	f := newFixture(t)
	h := f.put(t, "h1", func(h *webhook.Hook) {
		h.Enabled, h.DisabledReason, h.FailingSince = false, "failing without a success since ...", 1_000
	})
	if w := f.do(t, "PATCH", "/hooks/"+h.ID, `{"enabled":true}`); w.Code != 200 {
		t.Fatalf("PATCH: %d %s", w.Code, w.Body)
	}
	got := f.stored(t)[0]
	if !got.Enabled || got.DisabledReason != "" || got.FailingSince != 0 {
		t.Errorf("re-enabled hook %+v: want enabled, no reason, no failure clock", got)
	}
}
