package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// countingStore counts ListHooks calls so tests can see the cache at work.
type countingStore struct {
	*webhooktest.MemoryHookStore
	lists int
	fail  error
}

func (s *countingStore) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	s.lists++
	if s.fail != nil {
		return nil, s.fail
	}
	return s.MemoryHookStore.ListHooks(ctx)
}

type failingSender struct{ err error }

func (f failingSender) Send(context.Context, []webhook.Job) error { return f.err }

func setup(t *testing.T, hooks ...webhook.Hook) (*ingest.Service, *countingStore, *webhooktest.MemoryQueue) {
	t.Helper()
	store := &countingStore{MemoryHookStore: webhooktest.NewMemoryHookStore()}
	for _, h := range hooks {
		if err := store.PutHook(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	q := webhooktest.NewMemoryQueue(8, time.Minute)
	svc := ingest.New(ingest.Config{Hooks: store, Queue: q, Now: func() time.Time { return now }})
	return svc, store, q
}

func hook(id string, enabled bool, events ...webhook.Event) webhook.Hook {
	return webhook.Hook{ID: id, URL: "https://example.com/" + id, Events: events, Enabled: enabled, SigningKey: "k-" + id}
}

const createUser = `{"records":[{"type":"managementApi","id":"req-1","method":"POST","path":"/api/users","status":200,
  "responseBody":{"id":"u1","username":"ann"},"ip":"203.0.113.5","userAgent":"curl/8"}]}`

func TestIngestFansOutToSubscribedEnabledHooks(t *testing.T) {
	svc, _, q := setup(t,
		hook("h1", true, webhook.UserCreated),
		hook("h2", true, webhook.UserCreated, webhook.UserDeleted),
		hook("off", false, webhook.UserCreated),
		hook("other", true, webhook.RoleCreated),
	)
	resp, err := svc.Ingest(context.Background(), []byte(createUser))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 1 || resp.Deliveries != 2 || len(resp.Events) != 1 || resp.Events[0].Event != webhook.UserCreated {
		t.Fatalf("response = %+v, want 1 record, 1 User.Created event, 2 deliveries", resp)
	}
	msgs, err := q.Receive(context.Background(), 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]webhook.Job{}
	for _, m := range msgs {
		got[m.Job.HookID] = m.Job
	}
	if len(got) != 2 || got["h1"].EventID != resp.Events[0].ID || got["h2"].EventID != resp.Events[0].ID {
		t.Fatalf("queued jobs for hooks %v, want h1 and h2 with event %s", keys(got), resp.Events[0].ID)
	}
	if got["h1"].DeliveryID == got["h2"].DeliveryID {
		t.Errorf("two hooks share delivery id %s", got["h1"].DeliveryID)
	}
	h1 := got["h1"]
	body := string(h1.Body())
	if !strings.HasPrefix(body, `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z"`) || !strings.HasSuffix(body, `,"hookId":"h1"}`) {
		t.Errorf("body = %s", body)
	}
}

func TestIngestIsIdempotentWithProducerIDs(t *testing.T) {
	svc, _, _ := setup(t, hook("h1", true, webhook.UserCreated))
	a, err := svc.Ingest(context.Background(), []byte(createUser))
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Ingest(context.Background(), []byte(createUser))
	if err != nil {
		t.Fatal(err)
	}
	if a.Events[0].ID != b.Events[0].ID {
		t.Errorf("retried request got event id %s, first got %s", b.Events[0].ID, a.Events[0].ID)
	}
}

func TestIngestCachesHookList(t *testing.T) {
	svc, store, _ := setup(t, hook("h1", true, webhook.UserCreated))
	for range 50 {
		if _, err := svc.Ingest(context.Background(), []byte(createUser)); err != nil {
			t.Fatal(err)
		}
	}
	if store.lists != 1 {
		t.Errorf("50 requests listed hooks %d times, want 1 (cached)", store.lists)
	}
}

func TestIngestRejectsWithoutQueueing(t *testing.T) {
	tests := []struct {
		name, body, code, field string
		record                  int // -1: request-level
	}{
		{"malformed JSON", `{"records":[`, "invalid_request", "", -1},
		{"wrong type", `{"records":[{"type":"managementApi","method":"POST","path":"/users","status":"200"}]}`, "invalid_record", "status", 0},
		{"unknown event", `{"records":[{"type":"managementApi","method":"POST","path":"/users","status":200},{"type":"event","event":"User.Updated","fields":{}}]}`, "invalid_record", "event", 1},
		{"too many records", `{"records":[` + strings.Repeat(`{"type":"event","event":"Identifier.Lockout","fields":{}},`, 500) + `{"type":"event","event":"Identifier.Lockout","fields":{}}]}`, "invalid_request", "records", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, q := setup(t, hook("h1", true, webhook.UserCreated, webhook.IdentifierLockout))
			_, err := svc.Ingest(context.Background(), []byte(tt.body))
			var e *ingest.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *ingest.Error", err)
			}
			if e.Status != 400 || e.Code != tt.code || e.Field != tt.field {
				t.Errorf("got %d %s field %q (%s), want 400 %s field %q", e.Status, e.Code, e.Field, e.Message, tt.code, tt.field)
			}
			if tt.record >= 0 && (e.Record == nil || *e.Record != tt.record) {
				t.Errorf("record = %v, want %d", e.Record, tt.record)
			}
			if msgs, _ := q.Receive(context.Background(), 10, 0); len(msgs) != 0 {
				t.Errorf("%d jobs queued after a rejected request", len(msgs))
			}
		})
	}
}

func TestIngestFailsWhenQueueFails(t *testing.T) {
	store := webhooktest.NewMemoryHookStore()
	_ = store.PutHook(context.Background(), hook("h1", true, webhook.UserCreated))
	svc := ingest.New(ingest.Config{Hooks: store, Queue: failingSender{errors.New("sqs down")}})
	_, err := svc.Ingest(context.Background(), []byte(createUser))
	var e *ingest.Error
	if !errors.As(err, &e) || e.Status != 503 || strings.Contains(e.Message, "sqs down") {
		t.Fatalf("err = %v, want a 503 that does not leak the cause", err)
	}
}

func TestServeHTTP(t *testing.T) {
	svc, _, _ := setup(t, hook("h1", true, webhook.UserCreated))
	tests := []struct {
		name, method, body string
		want               int
	}{
		{"accepted", http.MethodPost, createUser, 202},
		{"bad record", http.MethodPost, `{"records":[{"type":"nope"}]}`, 400},
		{"wrong method", http.MethodGet, "", 405},
		{"too large", http.MethodPost, `{"records":[{"type":"event","event":"Identifier.Lockout","fields":{"x":"` + strings.Repeat("a", webhook.MaxRequestBytes) + `"}}]}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			svc.ServeHTTP(rec, httptest.NewRequest(tt.method, "/events", strings.NewReader(tt.body)))
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			var out map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("body is not JSON: %s", rec.Body)
			}
			if _, isErr := out["error"]; isErr != (tt.want != 202) {
				t.Errorf("body %s: error presence wrong for status %d", rec.Body, tt.want)
			}
		})
	}
}

func keys(m map[string]webhook.Job) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestIngestMetrics(t *testing.T) {
	store := webhooktest.NewMemoryHookStore()
	_ = store.PutHook(context.Background(), hook("h1", true, webhook.UserCreated))
	_ = store.PutHook(context.Background(), hook("h2", true, webhook.UserCreated))
	var out bytes.Buffer
	svc := ingest.New(ingest.Config{Hooks: store, Queue: webhooktest.NewMemoryQueue(8, time.Minute), Metrics: metrics.New(&out, "")})
	body := `{"records":[` + strings.Repeat(`{"type":"managementApi","method":"POST","path":"/users","status":200,"responseBody":{"id":"u1"}},`, 49) +
		`{"type":"managementApi","method":"POST","path":"/users","status":200,"responseBody":{"id":"u1"}}]}`
	if _, err := svc.Ingest(context.Background(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(out.String(), `"IngestAccepted":50`) || !strings.Contains(out.String(), `"IngestDeliveries":100`) {
		t.Errorf("metrics for 50 User.Created events to 2 hooks: want 2 lines with IngestAccepted 50 and IngestDeliveries 100, got:\n%s", out.String())
	}
}
