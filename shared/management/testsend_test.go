package management_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/signature"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

type sentTest struct {
	url     string
	headers map[string]string // the custom ones
	event   webhook.Event
}

// fakeSender is a delivery.Poster that records test sends, checks that each
// is signed by the stored hook's key, and answers per event.
type fakeSender struct {
	t      *testing.T
	key    string
	mu     sync.Mutex
	sent   []sentTest
	answer func(e webhook.Event) (int, string, error)
}

func (s *fakeSender) Post(_ context.Context, r delivery.Request) (delivery.Response, error) {
	var body struct {
		Event  webhook.Event `json:"event"`
		HookID string        `json:"hookId"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		s.t.Errorf("test body %s: %v", r.Body, err)
	}
	if s.key != "" {
		if err := signature.VerifyLogto(r.Header, r.Body, s.key); err != nil {
			s.t.Errorf("test send not signed by the stored key: %v", err)
		}
	}
	custom := map[string]string{}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-") {
			custom[k] = r.Header.Get(k)
		}
	}
	s.mu.Lock()
	s.sent = append(s.sent, sentTest{r.URL, custom, body.Event})
	s.mu.Unlock()
	if s.answer == nil {
		return delivery.Response{Status: http.StatusOK}, nil
	}
	status, respBody, err := s.answer(body.Event)
	return delivery.Response{Status: status, Body: []byte(respBody)}, err
}

func TestTestHook(t *testing.T) {
	s := &fakeSender{t: t}
	f := newFixture(t, func(c *management.Config) { c.Poster = s })
	stored := f.put(t, "h1", func(h *webhook.Hook) { h.Enabled = false })
	s.key = stored.SigningKey

	w := f.do(t, http.MethodPost, "/hooks/h1/test",
		`{"events":["PostSignIn","User.Created","PostSignIn"],"config":{"url":"https://receiver.example.com/t","headers":{"X-A":"1"}}}`)
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("status = %d, body %q; want 204 and no body", w.Code, w.Body.String())
	}
	slices.SortFunc(s.sent, func(a, b sentTest) int { return cmpString(string(a.event), string(b.event)) })
	want := []sentTest{
		{"https://receiver.example.com/t", map[string]string{"X-A": "1"}, webhook.PostSignIn},
		{"https://receiver.example.com/t", map[string]string{"X-A": "1"}, webhook.UserCreated},
	}
	if !reflect.DeepEqual(s.sent, want) {
		t.Errorf("sent = %+v, want %+v (body config, each event once)", s.sent, want)
	}
	if logs, _ := f.log.Query(context.Background(), webhook.LogQuery{HookID: "h1"}); len(logs) != 0 {
		t.Errorf("test sends were logged: %+v", logs)
	}
	if after, _ := f.hooks.GetHook(context.Background(), "h1"); !reflect.DeepEqual(after, stored) {
		t.Errorf("test changed the stored hook: %+v", after)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestTestHookErrors(t *testing.T) {
	valid := `{"events":["PostSignIn","User.Created"],"config":{"url":"https://receiver.example.com"}}`
	tests := []struct {
		name     string
		id, body string
		answer   func(webhook.Event) (int, string, error)
		noSender bool
		status   int
		code     string
		field    string
		wantData map[string]any
		wantMsg  string
	}{
		{name: "NotFound", id: "nope", body: valid, status: 404, code: "entity.not_exists_with_id"},
		{name: "EndpointError", id: "h1", body: valid,
			answer: func(e webhook.Event) (int, string, error) {
				if e == webhook.UserCreated {
					return 500, "oops", nil
				}
				return 200, "", nil
			},
			status: 422, code: "hook.endpoint_responded_with_error",
			wantData: map[string]any{"responseStatus": float64(500), "responseBody": "oops"}},
		{name: "FirstFailureInEventOrder", id: "h1", body: valid,
			answer: func(e webhook.Event) (int, string, error) {
				if e == webhook.UserCreated {
					return 0, "", errors.New("timeout")
				}
				return 404, "missing", nil
			},
			status: 422, code: "hook.endpoint_responded_with_error",
			wantData: map[string]any{"responseStatus": float64(404), "responseBody": "missing"}},
		{name: "SendFailed", id: "h1", body: valid,
			answer: func(webhook.Event) (int, string, error) { return 0, "", errors.New("dial tcp: connection refused") },
			status: 422, code: "hook.send_test_payload_failed",
			wantMsg: "Failed to send test payload: dial tcp: connection refused"},
		{name: "NoSender", id: "h1", body: valid, noSender: true, status: 501, code: "hook.test_not_available"},
		{name: "MissingEvents", id: "h1", body: `{"config":{"url":"https://r.example.com"}}`, status: 400, code: "guard.invalid_input", field: "events"},
		{name: "EmptyEvents", id: "h1", body: `{"events":[],"config":{"url":"https://r.example.com"}}`, status: 400, code: "guard.invalid_input", field: "events"},
		{name: "UnknownEvent", id: "h1", body: `{"events":["Nope.Nope"],"config":{"url":"https://r.example.com"}}`, status: 400, code: "guard.invalid_input", field: "events[0]"},
		{name: "MissingConfig", id: "h1", body: `{"events":["PostSignIn"]}`, status: 400, code: "guard.invalid_input", field: "config"},
		{name: "BadURL", id: "h1", body: `{"events":["PostSignIn"],"config":{"url":"not_work_url"}}`, status: 400, code: "guard.invalid_input", field: "config.url"},
		{name: "RefusedURL", id: "h1", body: `{"events":["PostSignIn"],"config":{"url":"http://169.254.169.254"}}`, status: 400, code: "guard.invalid_input", field: "config.url"},
		{name: "UnknownField", id: "h1", body: `{"events":["PostSignIn"],"config":{"url":"https://r.example.com"},"name":"x"}`, status: 400, code: "guard.invalid_input", field: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeSender{t: t, answer: tt.answer}
			f := newFixture(t, func(c *management.Config) {
				c.CheckURL = refusePrivate
				if !tt.noSender {
					c.Poster = s
				}
			})
			f.put(t, "h1")
			e := wantErr(t, f.do(t, http.MethodPost, "/hooks/"+tt.id+"/test", tt.body), tt.status, tt.code, tt.field)
			if tt.wantData != nil && !reflect.DeepEqual(e.Data, tt.wantData) {
				t.Errorf("data = %v, want %v", e.Data, tt.wantData)
			}
			if tt.wantMsg != "" && e.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", e.Message, tt.wantMsg)
			}
			if tt.status != 422 && len(s.sent) != 0 {
				t.Errorf("sent %d test payloads on a %d, want none", len(s.sent), tt.status)
			}
		})
	}
}
