package ingest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// capture is a queue that keeps every job it is sent.
type capture struct{ jobs []webhook.Job }

func (c *capture) Send(_ context.Context, jobs []webhook.Job) error {
	c.jobs = append(c.jobs, jobs...)
	return nil
}

const logtoHookID = "logtohook0000000000001" // the id of the Logto webhook that points at us

type relayEnv struct {
	svc     *ingest.Service
	srv     *httptest.Server
	queue   *capture
	sources *webhooktest.MemorySourceStore
	metrics *bytes.Buffer
}

// newRelay serves the relay with sources "src" (key "key-src", previous key
// "old-src" valid for another hour), "off" (disabled) and "nokey", and hooks
// h1 and h2 subscribed to User.Created, PostSignIn and Identifier.Lockout.
func newRelay(t *testing.T) *relayEnv {
	t.Helper()
	hooks := webhooktest.NewMemoryHookStore()
	for _, id := range []string{"h1", "hook-two"} {
		if err := hooks.PutHook(t.Context(), hook(id, true, webhook.UserCreated, webhook.PostSignIn, webhook.IdentifierLockout)); err != nil {
			t.Fatal(err)
		}
	}
	sources := webhooktest.NewMemorySourceStore()
	for _, s := range []webhook.Source{
		{ID: "src", Name: "tenant", SigningKey: "key-src", PreviousSigningKey: "old-src", PreviousKeyExpiresAt: now.Add(time.Hour).UnixMilli(), Enabled: true},
		{ID: "expired", Name: "rotated", SigningKey: "key-new", PreviousSigningKey: "key-old", PreviousKeyExpiresAt: now.Add(-time.Second).UnixMilli(), Enabled: true},
		{ID: "off", Name: "disabled", SigningKey: "key-off"},
		{ID: "nokey", Name: "no key yet", Enabled: true},
		{ID: "foo", Name: "Logto's vectors", SigningKey: "foo", Enabled: true},
	} {
		if err := sources.PutSource(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	env := &relayEnv{queue: &capture{}, sources: sources, metrics: &bytes.Buffer{}}
	env.svc = ingest.New(ingest.Config{Hooks: hooks, Queue: env.queue, Sources: sources, Now: func() time.Time { return now },
		Metrics: metrics.New(env.metrics, "test")})
	env.srv = httptest.NewServer(env.svc.RelayHandler())
	t.Cleanup(env.srv.Close)
	return env
}

// send posts body to /logto/source, signed with key unless key is "".
func (e *relayEnv) send(t *testing.T, source, key string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/logto/"+source, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	if key != "" {
		req.Header.Set(signature.HeaderLogto, signature.Logto(key, body))
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// logtoBody is a User.Created body as Logto sends it: our mapping of the
// record (its payloads are Logto's byte for byte, see shared/mapping's
// goldens) with hookId appended last, as Logto appends it at send time.
func logtoBody(t *testing.T, createdAt time.Time) []byte {
	t.Helper()
	records, err := ingest.DecodeRequest([]byte(`{"type":"managementApi","method":"POST","path":"/api/users","status":200,` +
		`"userAgent":"Mozilla/5.0 <test> & \u2028","ip":"203.0.113.5","responseBody":{"id":"u1","username":"ann","name":"Ann \"A\" <ann@example.com>","customData":{"z":1,"a":[1.50,2e3]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	events, err := ingest.MapAll(records, createdAt)
	if err != nil {
		t.Fatal(err)
	}
	j := webhook.NewJob(events[0], logtoHookID)
	return j.Body()
}

// testSendBody is Logto's test payload (generateHookTestPayload) as Logto
// sends it: hookId second, after event.
func testSendBody(e webhook.Event, createdAt time.Time) []byte {
	p := mapping.TestPayload(e, createdAt)
	prefix := `{"event":"` + string(e) + `",`
	return []byte(prefix + `"hookId":"` + logtoHookID + `",` + string(p[len(prefix):]))
}

func TestRelayFansOutLogtoBodiesByteForByte(t *testing.T) {
	for name, body := range map[string][]byte{
		"User.Created":         logtoBody(t, now.Add(-time.Second)),
		"test send PostSignIn": testSendBody(webhook.PostSignIn, now),
		"test send data event": testSendBody(webhook.UserCreated, now),
	} {
		t.Run(name, func(t *testing.T) {
			env := newRelay(t)
			status, resp := env.send(t, "src", "key-src", body)
			if status != http.StatusAccepted || !strings.Contains(resp, `"accepted":1,"deliveries":2`) {
				t.Fatalf("POST /logto/src = %d %s; want 202 with 2 deliveries", status, resp)
			}
			if len(env.queue.jobs) != 2 {
				t.Fatalf("queued %d jobs, want 2", len(env.queue.jobs))
			}
			for _, j := range env.queue.jobs {
				// Through the queue's encoding, as delivery reads it.
				enc, err := webhook.EncodeJob(j)
				if err != nil {
					t.Fatal(err)
				}
				got, err := webhook.DecodeJob(enc)
				if err != nil || got.Validate() != nil {
					t.Fatalf("job %s does not survive the queue: %v %v", j.DeliveryID, err, got.Validate())
				}
				want := bytes.Replace(body, []byte(`"hookId":"`+logtoHookID+`"`), []byte(`"hookId":"`+j.HookID+`"`), 1)
				if b := got.Body(); !bytes.Equal(b, want) {
					t.Errorf("hook %s gets\n %s\nwant Logto's body with its own hookId\n %s", j.HookID, b, want)
				}
			}
		})
	}
}

func TestRelayLogtoSigningVectors(t *testing.T) {
	// Logto's own vectors (docs/logto-webhooks.md §6): key "foo". The bodies
	// are no webhook payloads, so a verified signature gets as far as the
	// payload check (400); a changed byte stops at the signature (401).
	for body, sig := range map[string]string{
		`{"bar":"bar","foo":"foo"}`: "436958f1dbfefab37712fb3927760490fbf7757da8c0b2306ee7b485f0360eee",
		`{}`:                        "c76356efa19d219d1d7e08ccb20b1d26db53b143156f406c99dcb8e0876d6c55",
	} {
		env := newRelay(t)
		post := func(b string) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/logto/foo", strings.NewReader(b))
			req.Header.Set(signature.HeaderLogto, sig)
			return do(t, req)
		}
		if status, resp := post(body); status != http.StatusBadRequest || !strings.Contains(resp, `"invalid_payload"`) {
			t.Errorf("%s signed %s: %d %s; want the signature accepted (then 400 invalid_payload)", body, sig, status, resp)
		}
		if status, resp := post(body + " "); status != http.StatusUnauthorized || !strings.Contains(resp, `"invalid_signature"`) {
			t.Errorf("%s plus a space with the same signature: %d %s; want 401 invalid_signature", body, status, resp)
		}
		if len(env.queue.jobs) != 0 {
			t.Errorf("queued %d jobs", len(env.queue.jobs))
		}
	}
}

func TestRelayRefusals(t *testing.T) {
	fresh := logtoBody(t, now.Add(-time.Second))
	unknownEvent := bytes.Replace(fresh, []byte(`"event":"User.Created"`), []byte(`"event":"User.Teleported"`), 1)
	big := append(bytes.Repeat([]byte(" "), webhook.MaxRequestBytes), fresh...)
	tests := []struct {
		name, source, key string
		body              []byte
		header            string // overrides the signature when set
		status            int
		code              string
	}{
		{"no signature", "src", "", fresh, "", 401, "invalid_signature"},
		{"wrong signature", "src", "not-the-key", fresh, "", 401, "invalid_signature"},
		{"malformed signature", "src", "", fresh, "zz", 401, "invalid_signature"},
		{"previous key within grace", "src", "old-src", fresh, "", 202, ""},
		{"previous key past grace", "expired", "key-old", fresh, "", 401, "invalid_signature"},
		{"new key after rotation", "expired", "key-new", fresh, "", 202, ""},
		{"source without a key", "nokey", "", fresh, "", 401, "invalid_signature"},
		{"stale createdAt", "src", "key-src", logtoBody(t, now.Add(-5*time.Minute-time.Millisecond)), "", 401, "outside_replay_window"},
		{"future createdAt", "src", "key-src", logtoBody(t, now.Add(5*time.Minute+time.Millisecond)), "", 401, "outside_replay_window"},
		{"createdAt at the window's edge", "src", "key-src", logtoBody(t, now.Add(-5*time.Minute)), "", 202, ""},
		{"unknown source", "nope", "key-src", fresh, "", 404, "unknown_source"},
		{"disabled source", "off", "key-off", fresh, "", 403, "source_disabled"},
		{"not a payload", "src", "key-src", []byte(`["event"]`), "", 400, "invalid_payload"},
		{"oversize body", "src", "key-src", big, "", 413, "request_too_large"},
		{"unknown event", "src", "key-src", unknownEvent, "", 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newRelay(t)
			req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/logto/"+tt.source, bytes.NewReader(tt.body))
			if tt.key != "" {
				req.Header.Set(signature.HeaderLogto, signature.Logto(tt.key, tt.body))
			}
			if tt.header != "" {
				req.Header.Set(signature.HeaderLogto, tt.header)
			}
			status, resp := do(t, req)
			if status != tt.status || tt.code != "" && !strings.Contains(resp, `"code":"`+tt.code+`"`) {
				t.Fatalf("got %d %s; want %d %s", status, resp, tt.status, tt.code)
			}
			switch {
			case tt.name == "unknown event":
				if resp != `{"accepted":1,"deliveries":0,"events":[]}` || len(env.queue.jobs) != 0 {
					t.Errorf("unknown event: %s with %d jobs; want accepted, no delivery", resp, len(env.queue.jobs))
				}
				if !strings.Contains(env.metrics.String(), "RelayUnknownEvent") {
					t.Errorf("no RelayUnknownEvent metric in %q", env.metrics.String())
				}
			case status == 202:
				if len(env.queue.jobs) != 2 {
					t.Errorf("queued %d jobs, want 2", len(env.queue.jobs))
				}
			case len(env.queue.jobs) != 0:
				t.Errorf("a refused body queued %d jobs", len(env.queue.jobs))
			}
			for _, secret := range []string{"key-src", "old-src", "key-old", "key-off"} {
				if strings.Contains(resp, secret) {
					t.Errorf("the answer %s shows a key", resp)
				}
			}
		})
	}
}

func TestRelayRetryKeepsWebhookIDs(t *testing.T) {
	env := newRelay(t)
	body := logtoBody(t, now)
	for range 2 {
		if status, resp := env.send(t, "src", "key-src", body); status != 202 {
			t.Fatalf("%d %s", status, resp)
		}
	}
	if status, resp := env.send(t, "foo", "foo", body); status != 202 {
		t.Fatalf("%d %s", status, resp)
	}
	j := env.queue.jobs
	if len(j) != 6 {
		t.Fatalf("queued %d jobs, want 6", len(j))
	}
	if j[0].DeliveryID != j[2].DeliveryID || j[1].DeliveryID != j[3].DeliveryID || j[0].EventID != j[2].EventID {
		t.Errorf("Logto's retry of the same body got new ids: %s %s, then %s %s", j[0].DeliveryID, j[1].DeliveryID, j[2].DeliveryID, j[3].DeliveryID)
	}
	if j[0].DeliveryID == j[1].DeliveryID {
		t.Errorf("two hooks share webhook-id %s", j[0].DeliveryID)
	}
	if j[4].EventID == j[0].EventID {
		t.Errorf("the same body from another source got the same event id %s", j[0].EventID)
	}
}
