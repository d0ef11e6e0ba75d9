package devserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// TestRelayEndToEnd is the README's "Use with your Logto" against webhooks
// dev: create a source over /sources, paste Logto's key, subscribe two hooks,
// and post a body as Logto sends it (a test-send body, hookId second). Each
// receiver gets Logto's bytes with its own hookId, and checks both signature
// schemes: webhooktest.Receiver with our verifier, and the official Standard
// Webhooks library on top.
func TestRelayEndToEnd(t *testing.T) {
	srv, _ := run(t, devserver.Config{AllowPrivate: loopback})
	const logtoKey = "KeyLogtoShowsForTheWebhook012345"

	status, body := post(t, srv.URL+"/sources", `{"name":"my tenant"}`)
	var src struct {
		ID, RelayPath string
		HasSigningKey bool
	}
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &src) != nil || src.HasSigningKey || src.RelayPath != "/logto/"+src.ID {
		t.Fatalf("POST /sources = %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/sources/"+src.ID, strings.NewReader(`{"signingKey":"`+logtoKey+`"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(b.String(), logtoKey) || !strings.Contains(b.String(), `"hasSigningKey":true`) {
		t.Fatalf("PATCH /sources/%s = %d %s; want 200, the key set and not shown", src.ID, resp.StatusCode, b.String())
	}

	type got struct {
		hookID string
		body   []byte
		err    error
	}
	deliveries := make(chan got, 4)
	var keys sync.Map
	receivers := map[string]*webhooktest.Receiver{}
	for _, name := range []string{"a", "b"} {
		rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{Respond: func(r *http.Request, body []byte, _ int) int {
			key, _ := keys.Load(name)
			wh, err := standardwebhooks.NewWebhook(signature.Secret(key.(string)))
			if err == nil {
				err = wh.Verify(body, r.Header)
			}
			var p struct{ HookID string }
			_ = json.Unmarshal(body, &p)
			deliveries <- got{p.HookID, body, err}
			return http.StatusNoContent
		}})
		receivers[name] = rcv
		status, body := post(t, srv.URL+"/hooks", `{"name":"`+name+`","events":["PostSignIn"],"config":{"url":"`+rcv.URL+`/in"}}`)
		var h struct{ ID, SigningKey string }
		if status != http.StatusCreated || json.Unmarshal([]byte(body), &h) != nil {
			t.Fatalf("POST /hooks = %d %s", status, body)
		}
		keys.Store(name, h.SigningKey)
		rcv.SetKey(h.SigningKey)
	}

	now := time.Now().UTC()
	logto := testSendBody(webhook.PostSignIn, now)
	req, _ = http.NewRequest(http.MethodPost, srv.URL+src.RelayPath, bytes.NewReader(logto))
	req.Header.Set(signature.HeaderLogto, signature.Logto(logtoKey, logto))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	_, _ = b.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(b.String(), `"deliveries":2`) {
		t.Fatalf("POST %s = %d %s; want 202 with 2 deliveries", src.RelayPath, resp.StatusCode, b.String())
	}
	for range 2 {
		select {
		case d := <-deliveries:
			if d.err != nil {
				t.Errorf("hook %s: the Standard Webhooks library refused the delivery: %v", d.hookID, d.err)
			}
			want := bytes.Replace(logto, []byte(`"hookId":"logtohook"`), []byte(`"hookId":"`+d.hookID+`"`), 1)
			if !bytes.Equal(d.body, want) {
				t.Errorf("hook %s got\n %s\nwant\n %s", d.hookID, d.body, want)
			}
			t.Logf("delivered to hook %s, both signatures verified: %s", d.hookID, d.body)
		case <-time.After(10 * time.Second):
			t.Fatal("fewer than 2 deliveries within 10 s")
		}
	}
	for name, rcv := range receivers {
		if n, first := rcv.BadSignatures(); n > 0 {
			t.Errorf("receiver %s: %d deliveries failed our verifier: %s", name, n, first)
		}
	}
}

// testSendBody is Logto's test payload for e as Logto sends it
// (generateHookTestPayload, docs/logto-webhooks.md §9.4): event, hookId,
// createdAt, userAgent, then the interaction fields.
func testSendBody(e webhook.Event, at time.Time) []byte {
	return []byte(`{"event":"` + string(e) + `","hookId":"logtohook","createdAt":"` + webhook.FormatTime(at) +
		`","userAgent":"fake-user-agent","sessionId":"fake-session-id","userIp":"fake-user-ip","userId":"fake-id",` +
		`"user":{"id":"fake-id","username":"fake-user","primaryEmail":"fake-user@fake-service.com","primaryPhone":"1234567890",` +
		`"name":"Fake User","avatar":"https://fake-service.com/avatars/fake-user.png","customData":{"theme":"light"},` +
		`"identities":{"google":{"userId":"fake-google-user-id"}},"profile":{},"applicationId":"fake-application-id",` +
		`"cimdClientId":null,"isSuspended":false,"lastSignInAt":1,"createdAt":1,"updatedAt":1},` +
		`"application":{"id":"fake-spa-application-id","type":"SPA","name":"Fake Application","description":"Fake application data for testing"}}`)
}
