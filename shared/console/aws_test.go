package console_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/console"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestConsoleOnAWS runs the console against DynamoDB and SQS (the emulator),
// opened by backend.OpenAWS as `webhooks console --stack` opens them: list
// and edit a hook, see an attempt, reveal the key, redrive a dead job.
func TestConsoleOnAWS(t *testing.T) {
	cfg := awstest.Config(t)
	ctx := t.Context()
	hooksTable, logTable := awstest.Name("console-hooks"), awstest.Name("console-log")
	if err := awstest.CreateTables(ctx, dynamodb.NewFromConfig(cfg), hooksTable, logTable); err != nil {
		t.Fatal(err)
	}
	queueURL, dlqURL, err := awstest.CreateQueues(ctx, sqs.NewFromConfig(cfg), awstest.Name("console"), 1, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := backend.OpenAWS(cfg, backend.AWS{Stack: "test", Outputs: map[string]string{
		backend.OutHooksTable: hooksTable, backend.OutDeliveriesTable: logTable, backend.OutQueueURL: queueURL, backend.OutDLQURL: dlqURL,
	}}, backend.NeedAll)
	if err != nil {
		t.Fatal(err)
	}
	svc := management.NewService(management.Config{Hooks: b.Hooks, Log: b.Log,
		CheckURL: management.CheckDestination(delivery.Policy{}, "pass --allow-private")})
	con := console.New(console.Config{Backend: b, Service: svc})

	h, err := svc.CreateHook(ctx, management.HookInput{Events: []webhook.Event{webhook.UserCreated},
		Config: &management.HookConfig{URL: "https://203.0.113.10/hook"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).UnixMilli()
	if err := b.Log.Record(ctx, webhook.LogEntry{HookID: h.ID, DeliveryID: "msg_aws1", EventID: "evt_1", Event: webhook.UserCreated,
		Attempt: 1, Result: webhook.ResultError, Status: 500, LatencyMs: 42, Error: "status 500",
		Request: `{"event":"User.Created","hookId":"` + h.ID + `","padding":"` + strings.Repeat("x", 400) + `"}`, Response: "boom", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	deadLetter(t, b.Queue, webhook.Job{Version: webhook.JobVersion, DeliveryID: "msg_awsdead", EventID: "evt_d",
		Event: webhook.UserCreated, HookID: h.ID, Payload: []byte(`{"event":"User.Created"}`)})

	page := func(target, want string) {
		t.Helper()
		w := do(t, con, "GET", target, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET %s: %d, want %q in:\n%s", target, w.Code, want, w.Body)
		}
	}
	page("/console/", h.ID)
	page("/console/", `<span class="ok">0</span>/1 ok`)
	page("/console/hooks/"+h.ID, "https://203.0.113.10/hook")
	page("/console/hooks/"+h.ID+"/deliveries", "msg_aws1")
	page("/console/hooks/"+h.ID+"/chart", `data-requests="1" data-successes="0"`)
	page("/console/hooks/"+h.ID+"/attempts/msg_aws1/1?at="+itoa(at), "padding") // a gzipped body, read back
	page("/console/dlq", "msg_awsdead")

	if w := do(t, con, "POST", "/console/hooks/"+h.ID+"/key", url.Values{}); !strings.Contains(w.Body.String(), h.SigningKey) {
		t.Errorf("reveal on AWS: %s", w.Body)
	}
	if w := do(t, con, "POST", "/console/hooks/"+h.ID+"/edit", url.Values{"url": {"http://10.0.0.1/x"}, "events": {"User.Created"}}); w.Code != 400 {
		t.Errorf("edit to a private URL: %d %s", w.Code, w.Body)
	}
	if w := do(t, con, "POST", "/console/hooks/"+h.ID+"/edit", url.Values{"url": {"https://203.0.113.11/y"}, "events": {"User.Created,User.Deleted"}}); w.Code != 303 {
		t.Errorf("edit: %d %s", w.Code, w.Body)
	}
	if got, _ := b.Hooks.GetHook(ctx, h.ID); got.URL != "https://203.0.113.11/y" || len(got.Events) != 2 {
		t.Errorf("stored after edit: %+v", got)
	}
	body := do(t, con, "POST", "/console/dlq/redrive", url.Values{"hook": {h.ID}}).Body.String()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(body, "redrive-done"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redrive did not finish: %s", body)
		}
		id := body[strings.Index(body, "/console/dlq/redrive/"):]
		body = do(t, con, "GET", id[:strings.IndexByte(id, '"')], nil).Body.String()
	}
	if !strings.Contains(body, "Moved 1 job back") {
		t.Errorf("redrive on AWS: %s", body)
	}
}
