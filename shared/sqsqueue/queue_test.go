package sqsqueue_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// newQueue creates a fresh queue pair on the emulator. Scans hide dead-lettered
// messages for only a second, so that a message a scan fails to release or to
// delete shows up again within the test.
func newQueue(t *testing.T, maxAttempts int, visibility time.Duration) (*sqs.Client, *sqsqueue.Queue, string, string) {
	t.Helper()
	client := sqs.NewFromConfig(awstest.Config(t))
	url, dlq, err := awstest.CreateQueues(t.Context(), client, awstest.Name("deliveries"), maxAttempts, visibility)
	if err != nil {
		t.Fatal(err)
	}
	return client, sqsqueue.New(client, url, dlq, sqsqueue.WithScanVisibility(time.Second)), url, dlq
}

func TestQueue(t *testing.T) {
	awstest.Endpoint(t)
	webhooktest.TestQueue(t, func(t *testing.T, maxAttempts int, visibility time.Duration) webhooktest.Queue {
		_, q, _, _ := newQueue(t, maxAttempts, visibility)
		return q
	})
}

// TestSendBatches counts the SendMessageBatch calls on the wire: 25 jobs take 3.
func TestSendBatches(t *testing.T) {
	cfg := awstest.Config(t)
	calls := awstest.CountCalls(&cfg)
	client := sqs.NewFromConfig(cfg)
	url, dlq, err := awstest.CreateQueues(t.Context(), client, awstest.Name("batches"), 3, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	q := sqsqueue.New(client, url, dlq)
	var jobs []webhook.Job
	for i := range 25 {
		jobs = append(jobs, webhooktest.SampleJob("h1", webhook.UserCreated, i))
	}
	before := calls.Snapshot()["SQS.SendMessageBatch"]
	if err := q.Send(t.Context(), jobs); err != nil {
		t.Fatal(err)
	}
	if got := calls.Snapshot()["SQS.SendMessageBatch"] - before; got != 3 {
		t.Errorf("Send(25 jobs) made %d SendMessageBatch calls, want 3", got)
	}
	if got := calls.Total("SQS"); got != 3+3 { // CreateQueue twice, GetQueueAttributes
		t.Errorf("SQS calls in total = %d, want 6 (%v)", got, calls.Snapshot())
	}
}

// TestUndecodable: a message that is not a job is never returned and never
// deleted; it stays where it is for someone to inspect.
func TestUndecodable(t *testing.T) {
	client, q, url, dlq := newQueue(t, 1, 30*time.Second)
	for _, u := range []string{url, dlq} {
		if _, err := client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("not json")}); err != nil {
			t.Fatal(err)
		}
	}
	if msgs, err := q.Receive(t.Context(), 10, time.Second); err != nil || len(msgs) != 0 {
		t.Errorf("Receive = %v, %v; want no messages", msgs, err)
	}
	if jobs, err := q.ListDead(t.Context(), webhook.DeadFilter{}, 0); err != nil || len(jobs) != 0 {
		t.Errorf("ListDead = %v, %v; want no jobs", jobs, err)
	}
	if n, err := q.Redrive(t.Context(), webhook.DeadFilter{}, nil); err != nil || n != 0 {
		t.Errorf("Redrive = %d, %v; want 0", n, err)
	}
	if got := q.Undecodable(); got != 3 {
		t.Errorf("Undecodable() = %d, want 3 (one Receive, two scans)", got)
	}
	// The DLQ still holds it, visible again.
	out, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &dlq, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "not json" {
		t.Errorf("dead-letter queue holds %d messages, want the undecodable one", len(out.Messages))
	}
}
