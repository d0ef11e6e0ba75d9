package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Cost targets of the issue for a burst of events.
const (
	burstEvents            = 1000
	burstPerRequest        = 100
	targetSQSPerJob        = 0.35
	targetDynamoReadsPerEv = 0.01
)

// dynamoReads are the DynamoDB read operations.
var dynamoReads = []string{"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}

// TestBurstCallCounts ingests 1,000 events and delivers them with the services
// in-process, counting every SDK call: SQS calls per delivered job (ingest's
// SendMessageBatch, the event source mapping's ReceiveMessage and
// DeleteMessageBatch, delivery's ChangeMessageVisibility) and DynamoDB reads per
// ingested event. The event source mapping is played by pollers that receive
// batches of 10 and delete the successes with one DeleteMessageBatch, as Lambda's
// does.
func TestBurstCallCounts(t *testing.T) {
	base := awstest.Config(t)
	s := newStack(t, delivery.DefaultSchedule.String())

	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get(signature.HeaderID)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	hook := webhook.Hook{
		ID: webhook.NewHookID(), Name: "burst", Events: []webhook.Event{webhook.IdentifierLockout},
		URL: recv.URL + "/burst", SigningKey: webhook.NewSigningKey(), Enabled: true, CreatedAt: time.Now().UnixMilli(),
	}
	if err := s.hooks.PutHook(t.Context(), hook); err != nil {
		t.Fatal(err)
	}
	// Other hooks the ingest must read past but that get no jobs.
	for i := range 3 {
		other := hook
		other.ID, other.Events = webhook.NewHookID(), []webhook.Event{webhook.UserDeleted}
		other.URL = fmt.Sprintf("%s/other%d", recv.URL, i)
		if err := s.hooks.PutHook(t.Context(), other); err != nil {
			t.Fatal(err)
		}
	}

	// One counted configuration per party, so each one's calls are known.
	ingestCfg, deliveryCfg, esmCfg := base.Copy(), base.Copy(), base.Copy()
	for _, c := range []*aws.Config{&ingestCfg, &deliveryCfg, &esmCfg} {
		c.APIOptions = slices.Clone(c.APIOptions) // Copy shares the slice
	}
	ingestCalls := awstest.CountCalls(&ingestCfg)
	deliveryCalls := awstest.CountCalls(&deliveryCfg)
	esmCalls := awstest.CountCalls(&esmCfg)

	in := ingest.New(ingest.Config{
		Hooks: dynamo.NewHookStore(dynamodb.NewFromConfig(ingestCfg), s.hooksTable),
		Queue: sqsqueue.New(sqs.NewFromConfig(ingestCfg), s.queueURL, ""),
	})
	allow, err := netip.ParsePrefix("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(deliveryCfg)
	svc := delivery.NewService(delivery.Config{
		Hooks:  dynamo.NewHookStore(db, s.hooksTable),
		Log:    dynamo.NewDeliveryLog(db, s.logTable, dynamo.DefaultTTL),
		Poster: delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: []netip.Prefix{allow}}}),
	})
	handler := delivery.NewSQSHandler(svc, sqsqueue.New(sqs.NewFromConfig(deliveryCfg), s.queueURL, ""), 10, nil)
	esm := &esmPoller{sqs: sqs.NewFromConfig(esmCfg), queueURL: s.queueURL, queueARN: s.queueARN, handler: handler}

	// Each request is drained before the next: moto's SQS receive and send
	// slow down linearly with the queue's length (0.7 s per receive at 1,000
	// messages), so a queue kept short keeps the test fast. The counts do not
	// depend on the pacing: every send and receive still carries 10 messages.
	var ingestTime, deliverTime time.Duration
	delivered, failed := 0, 0
	for from := 0; from < burstEvents; from += burstPerRequest {
		var recs []string
		for i := from; i < min(from+burstPerRequest, burstEvents); i++ {
			recs = append(recs, fmt.Sprintf(`{"type":"event","id":"burst-%d","event":"Identifier.Lockout","fields":{"type":"email","value":"u%d@example.com"}}`, i, i))
		}
		start := time.Now()
		resp, err := in.Ingest(t.Context(), []byte(`{"records":[`+strings.Join(recs, ",")+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Deliveries != len(recs) {
			t.Fatalf("ingest queued %d deliveries, want %d", resp.Deliveries, len(recs))
		}
		ingestTime += time.Since(start)
		start = time.Now()
		d, f, err := esm.run(t.Context(), len(recs), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		delivered, failed = delivered+d, failed+f
		deliverTime += time.Since(start)
	}
	if delivered != burstEvents || failed != 0 {
		t.Fatalf("delivered %d and failed %d, want %d delivered", delivered, failed, burstEvents)
	}
	mu.Lock()
	distinct, dupes := len(seen), 0
	for _, n := range seen {
		dupes += n - 1
	}
	mu.Unlock()
	if distinct != burstEvents || dupes != 0 {
		t.Errorf("receiver got %d distinct deliveries and %d duplicates, want %d and 0", distinct, dupes, burstEvents)
	}

	ic, dc, ec := ingestCalls.Snapshot(), deliveryCalls.Snapshot(), esmCalls.Snapshot()
	sqsCalls := ingestCalls.Total("SQS") + deliveryCalls.Total("SQS") + esmCalls.Total("SQS")
	sqsPerJob := float64(sqsCalls) / float64(delivered)
	var ingestReads, deliveryReads int64
	for _, op := range dynamoReads {
		ingestReads += ic["DynamoDB."+op]
		deliveryReads += dc["DynamoDB."+op]
	}
	readsPerEvent := float64(ingestReads) / burstEvents
	t.Logf("burst of %d events (%d per request): ingest %v, delivery %v", burstEvents, burstPerRequest, ingestTime.Round(time.Millisecond), deliverTime.Round(time.Millisecond))
	t.Logf("SQS calls: %d (ingest %v, event source mapping %v, delivery %v) = %.3f per delivered job (target <= %.2f)",
		sqsCalls, only(ic, "SQS."), ec, only(dc, "SQS."), sqsPerJob, targetSQSPerJob)
	t.Logf("DynamoDB reads by ingest: %d = %.4f per ingested event (target <= %.2f); delivery reads %d (all delivery DynamoDB calls %v)",
		ingestReads, readsPerEvent, targetDynamoReadsPerEv, deliveryReads, only(dc, "DynamoDB."))
	writeMeasurement(t, "burst.json", map[string]any{
		"events":                      burstEvents,
		"recordsPerRequest":           burstPerRequest,
		"delivered":                   delivered,
		"ingestCalls":                 ic,
		"eventSourceMappingCalls":     ec,
		"deliveryCalls":               dc,
		"sqsCalls":                    sqsCalls,
		"sqsCallsPerDeliveredJob":     sqsPerJob,
		"dynamoReadsByIngest":         ingestReads,
		"dynamoReadsPerIngestedEvent": readsPerEvent,
		"dynamoReadsByDelivery":       deliveryReads,
		"ingestMs":                    ingestTime.Milliseconds(),
		"deliveryMs":                  deliverTime.Milliseconds(),
		"targets":                     map[string]float64{"sqsCallsPerDeliveredJob": targetSQSPerJob, "dynamoReadsPerIngestedEvent": targetDynamoReadsPerEv},
	})
	if sqsPerJob > targetSQSPerJob {
		t.Errorf("%.3f SQS calls per delivered job, want <= %.2f", sqsPerJob, targetSQSPerJob)
	}
	if readsPerEvent > targetDynamoReadsPerEv {
		t.Errorf("%.4f DynamoDB reads per ingested event, want <= %.2f", readsPerEvent, targetDynamoReadsPerEv)
	}
}

// only returns the counts whose key starts with prefix.
func only(m map[string]int64, prefix string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// esmPoller plays the SQS event source mapping for in-process handlers: each
// poller receives up to 10 messages, hands them to the handler as one SQS event
// and deletes the successes with one DeleteMessageBatch.
type esmPoller struct {
	sqs      *sqs.Client
	queueURL string
	queueARN string
	handler  *delivery.SQSHandler
}

// run receives and delivers batches until want messages were delivered or
// timeout passed, and returns how many were delivered and reported failed. One
// poller at a time: a second one would end on an empty long poll.
func (p *esmPoller) run(ctx context.Context, want int, timeout time.Duration) (delivered, failed int, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for delivered < want {
		d, f, err := p.poll(ctx)
		delivered, failed = delivered+d, failed+f
		if err != nil {
			return delivered, failed, err
		}
		if ctx.Err() != nil {
			return delivered, failed, fmt.Errorf("only %d of %d delivered within %v", delivered, want, timeout)
		}
	}
	return delivered, failed, nil
}

func (p *esmPoller) poll(ctx context.Context) (delivered, failed int, err error) {
	out, err := p.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &p.queueURL,
		MaxNumberOfMessages:         10,
		WaitTimeSeconds:             1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil || len(out.Messages) == 0 {
		return 0, 0, err
	}
	ev := sqsEvent(p.queueARN, out.Messages)
	// Round-trip through JSON, as the event reaches a Lambda.
	b, err := json.Marshal(ev)
	if err != nil {
		return 0, 0, err
	}
	ev.Records = nil
	if err := json.Unmarshal(b, &ev); err != nil {
		return 0, 0, err
	}
	resp, err := p.handler.Handle(ctx, ev)
	if err != nil {
		return 0, 0, err
	}
	bad := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		bad[f.ItemIdentifier] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if !bad[aws.ToString(m.MessageId)] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) > 0 {
		res, err := p.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &p.queueURL, Entries: del})
		if err != nil {
			return 0, 0, err
		}
		if len(res.Failed) > 0 {
			return 0, 0, fmt.Errorf("delete: %s", aws.ToString(res.Failed[0].Message))
		}
	}
	return len(del), len(bad), nil
}
