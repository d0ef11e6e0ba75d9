package functions_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// testSlowLane: through the delivery binary, a batch holding a job for a
// receiver that never answers ends once the healthy receiver's job is
// delivered, not after the 3 s timeout; the hanging job moves to the slow
// queue with its attempt unused and no delivery-log entry; delivered from the
// slow queue it gets the whole timeout, and its retry is set on that queue.
func testSlowLane(t *testing.T, fl *fleet, sec *secrets, bin bootstraps) {
	s := newStack(t, "0s,1s,1s")
	healthy := newReceiver(t, nil)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })
	hookA := s.addHook(t, sec, healthy.srv.URL+"/a", []webhook.Event{webhook.UserCreated}, nil)
	hookB := s.addHook(t, sec, hanging.URL+"/b", []webhook.Event{webhook.UserCreated}, nil)
	healthy.expect(hookA)
	env := s.env(map[string]string{"ALLOW_PRIVATE_CIDRS": "127.0.0.1/32"})
	ingest := fl.start(t, "ingest slow lane", bin.ingest, env)
	deliver := fl.start(t, "delivery slow lane", bin.delivery, env)
	if status, body := invokeHTTP(t, ingest, httpAPIEvent(t, nil)); status != http.StatusAccepted {
		t.Fatalf("ingest status = %d (%s), want 202", status, body)
	}

	msgs := s.receiveN(t, 2, 10*time.Second)
	start := time.Now()
	if failed := s.deliver(t, deliver, msgs); len(failed) > 0 {
		t.Fatalf("batchItemFailures = %v, want none: the hanging job is handed off, not failed", failed)
	}
	if took := time.Since(start); took >= 3*time.Second {
		t.Errorf("the main-lane batch took %s: it waited for the hanging receiver's timeout", took)
	}
	healthy.checkVerified(t)
	if n := len(healthy.requests()); n != 1 {
		t.Errorf("healthy receiver got %d requests, want 1", n)
	}
	if got := s.logEntries(t, hookB.ID); len(got) != 0 {
		t.Errorf("hanging hook has %d delivery-log entries after the hand-off, want none: %+v", len(got), got)
	}

	slow := s.receive(t, s.slowURL, 10, 5*time.Second)
	if len(slow) != 1 {
		t.Fatalf("slow queue holds %d messages, want the hanging hook's job", len(slow))
	}
	job, err := webhook.DecodeJob([]byte(aws.ToString(slow[0].Body)))
	if err != nil {
		t.Fatal(err)
	}
	if job.HookID != hookB.ID || job.Attempt != 0 {
		t.Errorf("slow-lane job for hook %s with %d attempts carried; want hook %s, none used", job.HookID, job.Attempt, hookB.ID)
	}

	payload, err := json.Marshal(sqsEvent(s.slowARN, slow))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	res, err := deliver.Invoke(t.Context(), payload)
	if err != nil || res.FunctionError {
		t.Fatalf("slow-lane invoke: %v %s", err, res.Payload)
	}
	took := time.Since(start)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || took < 3*time.Second {
		t.Errorf("slow lane: failures %v after %s; want the job failed after the whole 3 s timeout", resp.BatchItemFailures, took)
	}
	got := s.logEntries(t, hookB.ID)
	if len(got) != 1 || got[0].Attempt != 1 || !strings.Contains(got[0].Error, "no response within 3s") {
		t.Errorf("hanging hook's delivery log %+v; want attempt 1 timed out", got)
	}
	// Its retry delay was set on the slow queue (1 s): it comes back there.
	if again := s.receive(t, s.slowURL, 10, 5*time.Second); len(again) != 1 {
		t.Errorf("slow queue gave back %d messages after the retry delay, want 1", len(again))
	}
}
