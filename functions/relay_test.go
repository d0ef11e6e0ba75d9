package functions_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// relayEvent is the HTTP API event API Gateway sends the ingest function for
// POST /logto/{sourceId}: the route has no authorizer, so the request context
// has none, and the signature is a plain header.
func relayEvent(t *testing.T, sourceID string, body []byte, sig string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(httpAPIEvent(t, nil), &ev); err != nil {
		t.Fatal(err)
	}
	ev["routeKey"], ev["rawPath"], ev["body"] = "POST /logto/{sourceId}", "/logto/"+sourceID, string(body)
	ev["pathParameters"] = map[string]string{"sourceId": sourceID}
	ev["headers"] = map[string]string{"content-type": "application/json; charset=utf-8", "user-agent": "Logto (https://logto.io/)",
		"content-length": strconv.Itoa(len(body)), signature.HeaderLogto: sig, "host": "k3x9q2w7ab.execute-api.us-east-1.amazonaws.com"}
	rc := ev["requestContext"].(map[string]any)
	delete(rc, "authorizer")
	rc["routeKey"] = "POST /logto/{sourceId}"
	rc["http"].(map[string]any)["path"] = "/logto/" + sourceID
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testRelay: a Logto test-send body (hookId second) through the relay route of
// the built ingest function under RIE, with the template's relay environment,
// delivered by the delivery function to two receivers that check both
// signature schemes; a wrong signature and a stale body queue nothing.
func testRelay(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	sourcesTable := "sources-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := awstest.CreateSourcesTable(t.Context(), s.db, sourcesTable); err != nil {
		t.Fatal(err)
	}
	const logtoKey = "LogtoKeyOfTheRelayWebhook0123456"
	sec.add(logtoKey)
	src := webhook.Source{ID: webhook.NewSourceID(), Name: "tenant", SigningKey: logtoKey, Enabled: true, CreatedAt: time.Now().UnixMilli()}
	if err := dynamo.NewSourceStore(s.db, sourcesTable).PutSource(t.Context(), src); err != nil {
		t.Fatal(err)
	}
	recvA, recvB := newReceiver(t, nil), newReceiver(t, nil)
	hookA := s.addHook(t, sec, recvA.srv.URL+"/a", []webhook.Event{webhook.PostSignIn}, nil)
	hookB := s.addHook(t, sec, recvB.srv.URL+"/b", []webhook.Event{webhook.PostSignIn}, nil)
	recvA.expect(hookA)
	recvB.expect(hookB)
	// SOURCES_TABLE and RELAY_REPLAY_WINDOW as template.yaml sets them.
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32", "SOURCES_TABLE": sourcesTable, "RELAY_REPLAY_WINDOW": "5m"})
	ingest := fl.start(t, "ingest relay", bin.ingest, env)
	deliver := fl.start(t, "delivery relay", bin.delivery, env)

	body := []byte(`{"event":"PostSignIn","hookId":"logtohookid","createdAt":"` + webhook.FormatTime(time.Now()) +
		`","userAgent":"fake-user-agent","sessionId":"fake-session-id","userIp":"fake-user-ip","userId":"fake-id",` +
		`"user":{"id":"fake-id","name":"Fake <User> & \u2028"},"application":{"id":"fake-spa-application-id","type":"SPA"}}`)
	stale := bytes.Replace(body, []byte(`"createdAt":"`), []byte(`"createdAt":"2020-01-01T00:00:00.000Z","x":"`), 1)
	for name, c := range map[string]struct {
		body   []byte
		sig    string
		status int
	}{
		"wrong signature": {body, signature.Logto("not-the-key", body), http.StatusUnauthorized},
		"stale createdAt": {stale, signature.Logto(logtoKey, stale), http.StatusUnauthorized},
		"unknown source":  {body, signature.Logto(logtoKey, body), http.StatusNotFound},
	} {
		id := src.ID
		if name == "unknown source" {
			id = "nosuchsource"
		}
		if status, out := invokeHTTP(t, ingest, relayEvent(t, id, c.body, c.sig)); status != c.status {
			t.Errorf("%s: status %d (%s), want %d", name, status, out, c.status)
		}
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Fatalf("refused bodies queued %d jobs", v+f)
	}

	status, out := invokeHTTP(t, ingest, relayEvent(t, src.ID, body, signature.Logto(logtoKey, body)))
	if status != http.StatusAccepted || !bytes.Contains(out, []byte(`"deliveries":2`)) {
		t.Fatalf("relay: status %d (%s), want 202 with 2 deliveries", status, out)
	}
	if failed := s.deliver(t, deliver, s.receiveN(t, 2, 10*time.Second)); len(failed) > 0 {
		t.Fatalf("batchItemFailures = %v", failed)
	}
	recvA.checkVerified(t)
	recvB.checkVerified(t)
	for _, c := range []struct {
		r *receiver
		h webhook.Hook
	}{{recvA, hookA}, {recvB, hookB}} {
		got := c.r.requests()
		if len(got) != 1 {
			t.Fatalf("receiver of hook %s got %d requests, want 1", c.h.ID, len(got))
		}
		want := bytes.Replace(body, []byte(`"hookId":"logtohookid"`), []byte(`"hookId":"`+c.h.ID+`"`), 1)
		if !bytes.Equal(got[0].body, want) {
			t.Errorf("hook %s got\n %s\nwant Logto's body with its hookId\n %s", c.h.ID, got[0].body, want)
		}
	}
	// Logto's retry of the same bytes: the same event id, so the same webhook-ids.
	_, again := invokeHTTP(t, ingest, relayEvent(t, src.ID, body, signature.Logto(logtoKey, body)))
	var first, second ingestResponse
	if json.Unmarshal(out, &first) != nil || json.Unmarshal(again, &second) != nil || len(second.Events) != 1 || first.Events[0].ID != second.Events[0].ID {
		t.Errorf("retry: %s then %s; want the same event id", out, again)
	}
}
