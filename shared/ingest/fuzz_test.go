package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// discardQueue accepts every job and keeps none, so long fuzz runs stay small.
type discardQueue struct{}

func (discardQueue) Send(context.Context, []webhook.Job) error { return nil }

// FuzzIngestHTTP sends arbitrary bodies to POST /events as the dev server serves
// it (the Service behind Limit), with one hook subscribed to every event: no
// panic, only 202/400/413, and a JSON body (the 202 counting the records, an
// error carrying a code).
func FuzzIngestHTTP(f *testing.F) {
	for _, seed := range []string{
		`{"records":[{"type":"managementApi","id":"r1","method":"POST","path":"/api/users","status":200,"responseBody":{"id":"u1"}}]}`,
		`{"records":[{"type":"event","event":"Identifier.Lockout","fields":{"a":1}},{"type":"managementApi","method":"DELETE","path":"/api/roles/r1","status":204}]}`,
		`{"records":[{"type":"interaction","event":"PostSignIn","interactionEvent":"SignIn","userId":"u1"}]}`,
		`[{"type":"managementApi","method":"PATCH","path":"/api/organizations/o1","status":200}]`,
		`{"records":[]}`, `{}`, ``, `null`, `{"records":[null]}`, `{"records":"x"}`,
		`{"records":[{"type":"managementApi","method":"POST","path":"/api/users","status":200,"responseBody":` + strings.Repeat("[", 10000) + `}]}`,
	} {
		f.Add([]byte(seed))
	}
	var events []webhook.Event
	for _, e := range webhook.Catalog() {
		events = append(events, e.Event)
	}
	store := webhooktest.NewMemoryHookStore()
	if err := store.PutHook(context.Background(), webhook.Hook{
		ID: "fuzz", URL: "https://example.com/hook", Events: events, Enabled: true, SigningKey: "k",
	}); err != nil {
		f.Fatal(err)
	}
	h := ingest.Limit(ingest.New(ingest.Config{Hooks: store, Queue: discardQueue{}}), ingest.LimitConfig{})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(body)))
		out := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusAccepted:
			var resp ingest.Response
			if err := json.Unmarshal(out, &resp); err != nil || resp.Accepted < 1 || resp.Accepted > webhook.MaxRecords {
				t.Errorf("202 body %q (%v); want JSON accepting 1..%d records", out, err, webhook.MaxRecords)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e struct{ Error struct{ Code string } }
			if err := json.Unmarshal(out, &e); err != nil || e.Error.Code == "" {
				t.Errorf("%d body %q (%v); want a JSON error with a code", rec.Code, out, err)
			}
		default:
			t.Errorf("status %d for body %q; want 202, 400 or 413", rec.Code, body)
		}
	})
}
