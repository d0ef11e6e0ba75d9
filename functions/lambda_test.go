package functions_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/lambdatest"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// bootstraps are the binaries under test.
type bootstraps struct {
	ingest, delivery, empty string
}

// TestLambdas runs every scenario against the real bootstraps under RIE, then
// scans everything they printed for secrets.
func TestLambdas(t *testing.T) {
	awstest.Config(t) // skip or fail before building when moto is missing
	lambdatest.RIE(t)
	bin := bootstraps{
		ingest:   lambdatest.Build(t, "github.com/logto-webhooks/webhooks/functions/ingest"),
		delivery: lambdatest.Build(t, "github.com/logto-webhooks/webhooks/functions/delivery"),
		empty:    lambdatest.Build(t, "./testdata/emptyhandler"),
	}
	var (
		fl  fleet
		sec secrets
	)
	// Cold starts first and alone: parallel scenarios would skew them.
	t.Run("ColdStart", func(t *testing.T) { testColdStart(t, &fl, bin) })
	t.Run("Scenarios", func(t *testing.T) {
		t.Run("EndToEnd", func(t *testing.T) { t.Parallel(); testEndToEnd(t, &fl, &sec, bin) })
		t.Run("RetryThenSuccess", func(t *testing.T) { t.Parallel(); testRetry(t, &fl, &sec, bin) })
		t.Run("DeadLetterAndRedrive", func(t *testing.T) { t.Parallel(); testDeadLetter(t, &fl, &sec, bin) })
		t.Run("BadInput", func(t *testing.T) { t.Parallel(); testBadInput(t, &fl, &sec, bin) })
		t.Run("DirectInvocation", func(t *testing.T) { t.Parallel(); testDirect(t, &fl, &sec, bin) })
		t.Run("SampleSQSEvent", func(t *testing.T) { t.Parallel(); testSampleSQSEvent(t, &fl, bin) })
		t.Run("SSRF", func(t *testing.T) { t.Parallel(); testSSRF(t, &fl, &sec, bin) })
		t.Run("SSRFRedirect", func(t *testing.T) { t.Parallel(); testSSRFRedirect(t, &fl, &sec, bin) })
		t.Run("Relay", func(t *testing.T) { t.Parallel(); testRelay(t, &fl, &sec, bin) })
		t.Run("SlowLane", func(t *testing.T) { t.Parallel(); testSlowLane(t, &fl, &sec, bin) })
	})
	t.Run("LogScan", func(t *testing.T) { testLogScan(t, &fl, &sec) })
}

// testEndToEnd: HTTP API event -> ingest -> SQS -> delivery -> receivers that
// verify both signatures and the custom header.
func testEndToEnd(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	recvA, recvB := newReceiver(t, nil), newReceiver(t, nil)
	hookA := s.addHook(t, sec, recvA.srv.URL+"/a?token=abc", []webhook.Event{webhook.UserCreated, webhook.IdentifierLockout},
		map[string]string{"X-Receiver-Token": "custom-" + webhook.NewSigningKey()})
	hookB := s.addHook(t, sec, recvB.srv.URL+"/b", []webhook.Event{webhook.UserCreated}, nil)
	off := s.addHook(t, sec, recvB.srv.URL+"/off", []webhook.Event{webhook.UserCreated}, nil)
	if err := s.hooks.SetEnabled(t.Context(), off.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	recvA.expect(hookA)
	recvB.expect(hookB)
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32"})
	ingest := fl.start(t, "ingest e2e", bin.ingest, env)
	deliver := fl.start(t, "delivery e2e", bin.delivery, env)

	status, body := invokeHTTP(t, ingest, httpAPIEvent(t, nil))
	if status != http.StatusAccepted {
		t.Fatalf("ingest status = %d (%s), want 202", status, body)
	}
	var resp ingestResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	userCreated := webhook.EventID("req-7f3a", webhook.UserCreated)
	lockout := webhook.EventID("lockout-9", webhook.IdentifierLockout)
	if resp.Accepted != 2 || resp.Deliveries != 3 || len(resp.Events) != 2 ||
		resp.Events[0].ID != userCreated || resp.Events[1].ID != lockout {
		t.Fatalf("ingest response = %s, want 2 accepted, 3 deliveries, events %s and %s", body, userCreated, lockout)
	}

	msgs := s.receiveN(t, 3, 10*time.Second)
	for _, m := range msgs {
		if got := m.Attributes["ApproximateReceiveCount"]; got != "1" {
			t.Errorf("ApproximateReceiveCount = %q, want 1", got)
		}
	}
	if failed := s.deliver(t, deliver, msgs); len(failed) > 0 {
		t.Fatalf("batchItemFailures = %v, want none", failed)
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages after delivery, want 0", v, f)
	}

	recvA.checkVerified(t)
	recvB.checkVerified(t)
	wantIDs := map[string][]string{
		"/a": {webhook.DeliveryID(userCreated, hookA.ID), webhook.DeliveryID(lockout, hookA.ID)},
		"/b": {webhook.DeliveryID(userCreated, hookB.ID)},
	}
	for _, r := range []*receiver{recvA, recvB} {
		for _, g := range r.requests() {
			id := g.header.Get(signature.HeaderID)
			if !slices.Contains(wantIDs[g.path], id) {
				t.Errorf("%s got webhook-id %s, want one of %v", g.path, id, wantIDs[g.path])
			}
			wantIDs[g.path] = slices.DeleteFunc(wantIDs[g.path], func(s string) bool { return s == id })
			hookID := hookA.ID
			if g.path == "/b" {
				hookID = hookB.ID
			}
			if suffix := `,"hookId":"` + hookID + `"}`; !strings.HasSuffix(string(g.body), suffix) {
				t.Errorf("%s body %s does not end with %s", g.path, g.body, suffix)
			}
			if ua := g.header.Get("User-Agent"); ua != "Logto (https://logto.io/)" {
				t.Errorf("user-agent = %q, want Logto's", ua)
			}
		}
	}
	for path, ids := range wantIDs {
		if len(ids) > 0 {
			t.Errorf("%s never got deliveries %v", path, ids)
		}
	}
	for _, h := range []webhook.Hook{hookA, hookB} {
		for _, e := range s.logEntries(t, h.ID) {
			if e.Result != webhook.ResultSuccess || e.Status != http.StatusOK || e.Attempt != 1 {
				t.Errorf("log entry of hook %s = %+v, want a first-attempt 200 success", h.ID, e)
			}
		}
	}
	if n := len(s.logEntries(t, hookA.ID)) + len(s.logEntries(t, hookB.ID)); n != 3 {
		t.Errorf("delivery log holds %d entries, want 3", n)
	}
}

// driveAttempt receives the one pending message (waiting out the visibility
// delay the function set), checks its receive count and delivers it.
func driveAttempt(t *testing.T, s *stack, fn *lambdatest.Function, attempt int) (failed bool) {
	t.Helper()
	msgs := s.receiveN(t, 1, 6*time.Second)
	if got := msgs[0].Attributes["ApproximateReceiveCount"]; got != strconv.Itoa(attempt) {
		t.Fatalf("attempt %d: ApproximateReceiveCount = %s", attempt, got)
	}
	failures := s.deliver(t, fn, msgs)
	return len(failures) == 1 && failures[0] == aws.ToString(msgs[0].MessageId)
}

// testRetry: a receiver failing twice gets the job on the third attempt, each
// retry after the delay the function set with ChangeMessageVisibility.
func testRetry(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	recv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	hook := s.addHook(t, sec, recv.srv.URL+"/flaky", []webhook.Event{webhook.IdentifierLockout}, nil)
	recv.expect(hook)
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32"})
	ingest := fl.start(t, "ingest retry", bin.ingest, env)
	deliver := fl.start(t, "delivery retry", bin.delivery, env)
	if status, body := invokeHTTP(t, ingest, httpAPIEvent(t, nil)); status != http.StatusAccepted {
		t.Fatalf("ingest status = %d (%s)", status, body)
	}

	for attempt := 1; attempt <= 3; attempt++ {
		failed := driveAttempt(t, s, deliver, attempt)
		if want := attempt < 3; failed != want {
			t.Fatalf("attempt %d reported failed = %v, want %v", attempt, failed, want)
		}
		if failed {
			// Visible at once would mean no delay; the 30 s queue default would
			// outlast receiveN's wait: either way the next attempt fails.
			if m := s.receive(t, s.queueURL, 1, 0); len(m) != 0 {
				t.Fatalf("after attempt %d the message is visible at once; want the schedule's 1s delay", attempt)
			}
		}
	}
	got := recv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	recv.checkVerified(t)
	for _, g := range got[1:] {
		if id := g.header.Get(signature.HeaderID); id != got[0].header.Get(signature.HeaderID) {
			t.Errorf("retry webhook-id %s differs from the first attempt's %s", id, got[0].header.Get(signature.HeaderID))
		}
	}
	entries := s.logEntries(t, hook.ID)
	var summary []string
	for _, e := range entries {
		summary = append(summary, fmt.Sprintf("%d:%s:%d", e.Attempt, e.Result, e.Status))
	}
	if want := []string{"1:Error:500", "2:Error:500", "3:Success:204"}; !slices.Equal(summary, want) {
		t.Errorf("delivery log = %v, want %v", summary, want)
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Errorf("queue holds %d+%d messages, want 0", v, f)
	}
}

// testDeadLetter: a receiver that always fails sends the job to the DLQ after
// the schedule's attempts; redrive moves it back and a delivery succeeds.
func testDeadLetter(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	var up atomic.Bool
	recv := newReceiver(t, func(int) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	hook := s.addHook(t, sec, recv.srv.URL+"/down", []webhook.Event{webhook.IdentifierLockout}, nil)
	recv.expect(hook)
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32"})
	ingest := fl.start(t, "ingest dlq", bin.ingest, env)
	deliver := fl.start(t, "delivery dlq", bin.delivery, env)
	if status, body := invokeHTTP(t, ingest, httpAPIEvent(t, nil)); status != http.StatusAccepted {
		t.Fatalf("ingest status = %d (%s)", status, body)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if !driveAttempt(t, s, deliver, attempt) {
			t.Fatalf("attempt %d was not reported failed", attempt)
		}
	}
	// The last failed attempt moves the job to the DLQ itself (a deferred job's
	// copy could outlive maxReceiveCount) and reports the original done, so the
	// event source mapping deletes it.
	if driveAttempt(t, s, deliver, 3) {
		t.Fatal("attempt 3 was reported failed; want it dead-lettered by the function and deleted")
	}
	if m := s.receive(t, s.queueURL, 10, 0); len(m) > 0 {
		t.Fatalf("message delivered a 4th time (receive count %s); want it dead-lettered after 3",
			m[0].Attributes["ApproximateReceiveCount"])
	}
	if v, f := s.counts(t, s.dlqURL); v+f != 1 {
		t.Fatalf("DLQ holds %d+%d messages right after the last attempt, want 1", v, f)
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Errorf("main queue holds %d+%d messages, want 0", v, f)
	}
	dead, err := s.queue.ListDead(t.Context(), webhook.DeadFilter{HookID: hook.ID}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].HookID != hook.ID || dead[0].Event != webhook.IdentifierLockout {
		t.Fatalf("ListDead = %+v, want the one Identifier.Lockout job of hook %s", dead, hook.ID)
	}

	up.Store(true)
	moved, err := s.queue.Redrive(t.Context(), webhook.DeadFilter{HookID: hook.ID}, nil)
	if err != nil || moved != 1 {
		t.Fatalf("Redrive = %d, %v; want 1, nil", moved, err)
	}
	if driveAttempt(t, s, deliver, 1) {
		t.Fatal("the redriven job failed")
	}
	if v, f := s.counts(t, s.dlqURL); v+f != 0 {
		t.Errorf("DLQ holds %d+%d messages after redrive, want 0", v, f)
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Errorf("main queue holds %d+%d messages after delivery, want 0", v, f)
	}
	got := recv.requests()
	if len(got) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(got))
	}
	recv.checkVerified(t)
	if id := got[3].header.Get(signature.HeaderID); id != got[0].header.Get(signature.HeaderID) {
		t.Errorf("redriven webhook-id %s differs from the original %s", id, got[0].header.Get(signature.HeaderID))
	}
	var summary []string
	for _, e := range s.logEntries(t, hook.ID) {
		summary = append(summary, fmt.Sprintf("%d:%s:%d", e.Attempt, e.Result, e.Status))
	}
	if want := []string{"1:Error:503", "2:Error:503", "3:Error:503", "1:Success:200"}; !slices.Equal(summary, want) {
		t.Errorf("delivery log = %v, want %v", summary, want)
	}
}

// testBadInput: invalid requests through the HTTP API are refused with the field
// named, and nothing is queued, not even a request's valid records.
func testBadInput(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	var all []webhook.Event
	for _, e := range webhook.Catalog() {
		all = append(all, e.Event)
	}
	s.addHook(t, sec, "https://receiver.invalid/hook", all, nil)
	ingest := fl.start(t, "ingest bad input", bin.ingest, s.env(nil))

	valid := `{"type":"event","id":"ok-1","event":"Identifier.Lockout","fields":{"type":"email","value":"a@example.com"}}`
	many := make([]string, webhook.MaxRecords+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"type":"event","id":"r%d","event":"Identifier.Lockout","fields":{"type":"email","value":"a@example.com"}}`, i)
	}
	pad := strings.Repeat("x", webhook.MaxRequestBytes)
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantRecord int // -1: none
		wantField  string
		wantInMsg  string
	}{
		{"malformed JSON", `{"records":[` + valid + `,{"type":"event",}]}`, 400, "invalid_record", 1, "", "not valid JSON"},
		{"not an object", `[` + valid + `]`, 400, "invalid_request", -1, "", "JSON object"},
		{"wrong type", `{"records":[` + valid + `,{"type":"managementApi","method":"POST","path":"/api/users","status":"201"}]}`,
			400, "invalid_record", 1, "status", ""},
		{"wrong type nested", `{"records":[{"type":"interaction","interactionEvent":"SignIn","linked":"email"},` + valid + `]}`,
			400, "invalid_record", 0, "linked", ""},
		{"unknown field", `{"records":[` + valid + `,{"type":"event","event":"Identifier.Lockout","colour":"red"}]}`,
			400, "invalid_record", 1, "colour", ""},
		{"too many records", `{"records":[` + strings.Join(many, ",") + `]}`, 400, "invalid_request", -1, "records", "500"},
		{"oversize body", `{"records":[` + valid + `,{"type":"event","event":"Identifier.Lockout","fields":{"type":"email","value":"` + pad + `"}}]}`,
			413, "request_too_large", -1, "", "1 MiB"},
		{"unknown event", `{"records":[` + valid + `,{"type":"event","event":"User.Exploded"}]}`, 400, "invalid_record", 1, "event", "User.Exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := invokeHTTP(t, ingest, httpAPIEvent(t, []byte(tt.body)))
			var e ingestError
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			gotRecord := -1
			if e.Error.Record != nil {
				gotRecord = *e.Error.Record
			}
			if status != tt.wantStatus || e.Error.Code != tt.wantCode || gotRecord != tt.wantRecord || e.Error.Field != tt.wantField {
				t.Errorf("got %d %s, want %d code %s record %d field %q", status, body, tt.wantStatus, tt.wantCode, tt.wantRecord, tt.wantField)
			}
			if !strings.Contains(e.Error.Message, tt.wantInMsg) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tt.wantInMsg)
			}
		})
	}
	if m := s.receive(t, s.queueURL, 10, time.Second); len(m) != 0 {
		t.Errorf("received %d messages after only bad requests, want none", len(m))
	}
	if v, f := s.counts(t, s.queueURL); v+f != 0 {
		t.Errorf("queue holds %d+%d messages, want 0", v, f)
	}
	// The same stack accepts a valid request, so the empty queue above is the
	// validation's doing, not a broken hook or queue.
	if status, body := invokeHTTP(t, ingest, httpAPIEvent(t, []byte(`{"records":[`+valid+`]}`))); status != http.StatusAccepted {
		t.Fatalf("valid request: %d %s", status, body)
	}
	s.receiveN(t, 1, 5*time.Second)
}

// testDirect: the ingest request itself as the payload (aws lambda invoke).
func testDirect(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	hook := s.addHook(t, sec, "https://receiver.invalid/hook", []webhook.Event{webhook.UserCreated, webhook.IdentifierLockout}, nil)
	ingest := fl.start(t, "ingest direct", bin.ingest, s.env(nil))

	res, err := ingest.Invoke(t.Context(), testdataBody(t))
	if err != nil || res.FunctionError {
		t.Fatalf("invoke: %v %s", err, res.Payload)
	}
	var resp ingestResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	// The same ids as through API Gateway: ids derive from the records' ids.
	wantIDs := []string{webhook.EventID("req-7f3a", webhook.UserCreated), webhook.EventID("lockout-9", webhook.IdentifierLockout)}
	if resp.Accepted != 2 || resp.Deliveries != 2 || len(resp.Events) != 2 || resp.Events[0].ID != wantIDs[0] || resp.Events[1].ID != wantIDs[1] {
		t.Fatalf("response = %s, want 2 accepted, 2 deliveries, events %v", res.Payload, wantIDs)
	}
	var got []string
	for _, m := range s.receiveN(t, 2, 10*time.Second) {
		var j webhook.Job
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &j); err != nil {
			t.Fatal(err)
		}
		if err := j.Validate(); err != nil || j.HookID != hook.ID {
			t.Errorf("queued job %+v: %v, want a valid job of hook %s", j, err, hook.ID)
		}
		got = append(got, j.DeliveryID)
	}
	slices.Sort(got)
	want := []string{webhook.DeliveryID(wantIDs[0], hook.ID), webhook.DeliveryID(wantIDs[1], hook.ID)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("queued deliveries %v, want %v", got, want)
	}

	// A bad direct request is answered, not raised: retrying cannot help.
	res, err = ingest.Invoke(t.Context(), []byte(`{"records":[{"type":"event","event":"Nope"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var e ingestError
	if res.FunctionError || json.Unmarshal(res.Payload, &e) != nil || e.Error.Field != "event" || e.Error.Code != "invalid_record" {
		t.Errorf("bad direct request answered %s (function error %v), want the invalid_record body naming event", res.Payload, res.FunctionError)
	}
}

// testSampleSQSEvent feeds testdata's SQS event, verbatim, to the delivery
// function: its job's hook does not exist, so the job is dropped (not failed).
func testSampleSQSEvent(t *testing.T, fl *fleet, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	deliver := fl.start(t, "delivery sample", bin.delivery, s.env(nil))
	payload, err := os.ReadFile(filepath.Join("testdata", "sqs-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := deliver.Invoke(t.Context(), payload)
	if err != nil || res.FunctionError {
		t.Fatalf("invoke: %v %s", err, res.Payload)
	}
	if got := strings.TrimSpace(string(res.Payload)); got != `{"batchItemFailures":null}` && got != `{"batchItemFailures":[]}` {
		t.Errorf("response = %s, want no failures", got)
	}
	if _, ok := contains(deliver.Logs(), "hook deleted, dropping job"); !ok {
		t.Errorf("no drop line in the logs:\n%s", strings.Join(deliver.Logs(), "\n"))
	}
}

// testSSRF: with no allow-list every non-public destination is refused before
// connect, and the delivery log says why.
func testSSRF(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	recv := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(recv.srv.Listener.Addr().String())
	targets := []struct {
		url        string
		wantReason string
	}{
		{"http://127.0.0.1:" + port + "/hook", "loopback"},
		{"http://10.0.0.1/hook", "private"},
		{"http://172.16.0.1/hook", "private"},
		{"http://192.168.1.1/hook", "private"},
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"},
		{"http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", "loopback"},
		{"http://[::1]:" + port + "/hook", "loopback"},
		{"http://0.0.0.0:" + port + "/hook", "unspecified"},
		{"http://localhost:" + port + "/hook", "loopback"},
	}
	hooks := make([]webhook.Hook, len(targets))
	for i, tg := range targets {
		hooks[i] = s.addHook(t, sec, tg.url, []webhook.Event{webhook.IdentifierLockout}, nil)
	}
	env := s.env(nil) // no ALLOW_PRIVATE_CIDRS
	ingest := fl.start(t, "ingest ssrf", bin.ingest, env)
	deliver := fl.start(t, "delivery ssrf", bin.delivery, env)
	res, err := ingest.Invoke(t.Context(), []byte(`{"type":"event","id":"ssrf-1","event":"Identifier.Lockout","fields":{"type":"email","value":"a@example.com"}}`))
	if err != nil || res.FunctionError {
		t.Fatalf("ingest: %v %s", err, res.Payload)
	}
	msgs := s.receiveN(t, len(targets), 10*time.Second)
	// A forbidden destination can never succeed: each job goes to the DLQ at
	// once (reported done, so it leaves the queue) instead of being retried.
	if failed := s.deliver(t, deliver, msgs); len(failed) != 0 {
		t.Errorf("%d of %d deliveries reported failed, want none: all dead-lettered at once", len(failed), len(targets))
	}
	if v, f := s.counts(t, s.dlqURL); v+f != len(targets) {
		t.Errorf("DLQ holds %d+%d messages, want %d", v, f, len(targets))
	}
	if n := len(recv.requests()); n != 0 {
		t.Errorf("the loopback receiver got %d requests, want 0", n)
	}
	for i, tg := range targets {
		t.Run(tg.url, func(t *testing.T) {
			entries := s.logEntries(t, hooks[i].ID)
			if len(entries) != 1 {
				t.Fatalf("%d log entries, want 1", len(entries))
			}
			e := entries[0]
			host := hostOf(tg.url)
			if e.Result != webhook.ResultError || e.Status != 0 ||
				!strings.Contains(e.Error, "forbidden destination") || !strings.Contains(e.Error, tg.wantReason) ||
				!strings.Contains(e.Error, "host "+host) || !strings.Contains(e.Error, "permanent") {
				t.Errorf("log entry error %q (status %d), want a refusal of host %s naming %q", e.Error, e.Status, host, tg.wantReason)
			}
			if strings.Contains(e.Error, "/hook") || strings.Contains(e.Error, "meta-data") {
				t.Errorf("log entry error %q shows the URL's path", e.Error)
			}
		})
	}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Hostname()
}

// testSSRFRedirect: a receiver the allow-list admits (127.0.0.1/32 exactly)
// redirects to the metadata service and to itself; neither is followed. A hook
// on 10.0.0.1 shows the allow-list admits nothing more.
func testSSRFRedirect(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	toMetadata := newReceiver(t, func(int) int { return http.StatusFound })
	toMetadata.location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
	toSelf := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusTemporaryRedirect
		}
		return http.StatusOK
	})
	toSelf.location = toSelf.srv.URL + "/followed"
	hMeta := s.addHook(t, sec, toMetadata.srv.URL+"/hook", []webhook.Event{webhook.IdentifierLockout}, nil)
	hSelf := s.addHook(t, sec, toSelf.srv.URL+"/hook", []webhook.Event{webhook.IdentifierLockout}, nil)
	hPriv := s.addHook(t, sec, "http://10.0.0.1/hook", []webhook.Event{webhook.IdentifierLockout}, nil)
	toMetadata.expect(hMeta)
	toSelf.expect(hSelf)
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32"})
	ingest := fl.start(t, "ingest redirect", bin.ingest, env)
	deliver := fl.start(t, "delivery redirect", bin.delivery, env)
	res, err := ingest.Invoke(t.Context(), []byte(`{"type":"event","id":"redirect-1","event":"Identifier.Lockout","fields":{"type":"email","value":"a@example.com"}}`))
	if err != nil || res.FunctionError {
		t.Fatalf("ingest: %v %s", err, res.Payload)
	}
	// The two redirects are retried; the private address is dead-lettered at once.
	if failed := s.deliver(t, deliver, s.receiveN(t, 3, 10*time.Second)); len(failed) != 2 {
		t.Errorf("%d of 3 deliveries reported failed, want the 2 redirects", len(failed))
	}
	if v, f := s.counts(t, s.dlqURL); v+f != 1 {
		t.Errorf("DLQ holds %d+%d messages, want the private-address job", v, f)
	}
	for _, r := range []*receiver{toMetadata, toSelf} {
		got := r.requests()
		if len(got) != 1 || got[0].path != "/hook" {
			t.Errorf("receiver %s got %d requests (%v), want 1 to /hook and no followed redirect", r.srv.URL, len(got), got)
		}
		r.checkVerified(t)
	}
	tests := []struct {
		hook       webhook.Hook
		wantStatus int
		wantError  string
	}{
		{hMeta, http.StatusFound, "Request failed with status code 302 Found"},
		{hSelf, http.StatusTemporaryRedirect, "Request failed with status code 307 Temporary Redirect"},
		{hPriv, 0, "10.0.0.1 is a private address"},
	}
	for _, tt := range tests {
		entries := s.logEntries(t, tt.hook.ID)
		if len(entries) != 1 || entries[0].Result != webhook.ResultError || entries[0].Status != tt.wantStatus ||
			!strings.Contains(entries[0].Error, tt.wantError) {
			t.Errorf("log of %s = %+v, want one error with status %d and %q", tt.hook.URL, entries, tt.wantStatus, tt.wantError)
		}
	}
}

// testLogScan reads every line every bootstrap printed during the run: no
// signing key, Standard Webhooks secret or custom header value may appear.
func testLogScan(t *testing.T, fl *fleet, sec *secrets) {
	var lines []string
	names := map[int]string{}
	for _, fn := range fl.all() {
		for _, l := range fn.Logs() {
			names[len(lines)] = fn.Name
			lines = append(lines, l)
		}
	}
	// A scan of nothing proves nothing: the logs must hold the lines that
	// would carry a leak if there were one.
	for _, want := range []string{`"msg":"ingest: accepted"`, `"msg":"delivery: batch done"`, `"msg":"delivery: will retry"`, `"hookId":"`} {
		if _, ok := contains(lines, want); !ok {
			t.Errorf("no log line contains %s: the capture is broken", want)
		}
	}
	vals := sec.list()
	if len(vals) < 10 {
		t.Fatalf("only %d secrets registered; the scenarios did not run", len(vals))
	}
	for _, v := range vals {
		for i, l := range lines {
			if strings.Contains(l, v) {
				t.Errorf("%s logged a secret (%d characters): %s", names[i], len(v), l)
			}
		}
	}
	t.Logf("scanned %d log lines of %d functions for %d secret values", len(lines), len(fl.all()), len(vals))
}

// coldStart is one bootstrap's timings.
type coldStart struct {
	Name string `json:"name"`
	// FirstResponseMs runs from launching RIE to the first invocation's response
	// (a no-op payload), median of the runs; InitMs is RIE's "Init Duration".
	FirstResponseMs float64   `json:"firstResponseMsMedian"`
	InitMs          float64   `json:"initDurationMsMedian"`
	RunsMs          []float64 `json:"firstResponseMsRuns"`
	InitRunsMs      []float64 `json:"initDurationMsRuns"`
	// RealFirstMs is the first response to a real payload (testdata's events),
	// which adds the first AWS calls (moto on loopback).
	RealFirstMs float64 `json:"realFirstResponseMsMedian,omitempty"`
	SizeBytes   int64   `json:"bootstrapBytes"`
}

// testColdStart measures the two bootstraps next to an empty aws-lambda-go
// handler, each started fresh under RIE, median of five runs. Timings are
// recorded, not asserted.
func testColdStart(t *testing.T, fl *fleet, bin bootstraps) {
	const runs = 5
	s := newStack(t, "0s,1s,1s")
	env := s.env(nil)
	noopIngest := httpAPIEvent(t, []byte(`{"records":[{"type":"managementApi","method":"GET","path":"/api/users","status":200}]}`))
	sample, err := os.ReadFile(filepath.Join("testdata", "sqs-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, bin  string
		noop, real []byte
	}{
		{"empty aws-lambda-go handler", bin.empty, []byte(`{}`), nil},
		{"ingest", bin.ingest, noopIngest, httpAPIEvent(t, nil)},
		{"delivery", bin.delivery, []byte(`{"Records":[]}`), sample},
	}
	var out []coldStart
	for _, c := range cases {
		cs := coldStart{Name: c.name}
		if fi, err := os.Stat(c.bin); err == nil {
			cs.SizeBytes = fi.Size()
		}
		var real []float64
		for i := range runs {
			for _, isReal := range []bool{false, true} {
				payload := c.noop
				if isReal {
					payload = c.real
				}
				if payload == nil {
					continue
				}
				fn := fl.start(t, fmt.Sprintf("%s cold start %d", c.name, i+1), c.bin, env)
				res, err := fn.Invoke(t.Context(), payload)
				elapsed := ms(time.Since(fn.Started))
				if err != nil || res.FunctionError {
					t.Fatalf("%s: %v %s", c.name, err, res.Payload)
				}
				fn.Stop()
				if isReal {
					real = append(real, elapsed)
					continue
				}
				cs.RunsMs = append(cs.RunsMs, elapsed)
				if d, ok := fn.InitDuration(); ok {
					cs.InitRunsMs = append(cs.InitRunsMs, ms(d))
				}
			}
		}
		cs.FirstResponseMs, cs.InitMs, cs.RealFirstMs = median(cs.RunsMs), median(cs.InitRunsMs), median(real)
		t.Logf("cold start %-28s first response %5.1f ms (runs %v), init %4.1f ms, first real invocation %5.1f ms, %d bytes",
			c.name, cs.FirstResponseMs, cs.RunsMs, cs.InitMs, cs.RealFirstMs, cs.SizeBytes)
		out = append(out, cs)
	}
	writeMeasurement(t, "coldstart.json", map[string]any{
		"what":    "time from launching aws-lambda-rie to the first invocation's response, host build with -tags lambda.norpc, median of runs",
		"runs":    runs,
		"results": out,
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
