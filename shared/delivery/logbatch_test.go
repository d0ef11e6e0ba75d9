package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// batchLog is a memory log that counts how entries reach it.
type batchLog struct {
	*webhooktest.MemoryDeliveryLog
	mu      sync.Mutex
	records int
	batches []int
}

func (l *batchLog) Record(ctx context.Context, e webhook.LogEntry) error {
	l.mu.Lock()
	l.records++
	l.mu.Unlock()
	return l.MemoryDeliveryLog.Record(ctx, e)
}

func (l *batchLog) RecordBatch(ctx context.Context, entries []webhook.LogEntry) error {
	l.mu.Lock()
	l.batches = append(l.batches, len(entries))
	l.mu.Unlock()
	for _, e := range entries {
		if err := l.MemoryDeliveryLog.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// The SQS handler hands a batch-capable log the whole batch's entries at once,
// which is what lets the DynamoDB log write one item per hook per batch.
func TestSQSHandlerRecordsLogPerBatch(t *testing.T) {
	hooks := webhooktest.NewMemoryHookStore()
	second := testHook
	second.ID = "h2"
	for _, h := range []webhook.Hook{testHook, second} {
		_ = hooks.PutHook(context.Background(), h)
	}
	log := &batchLog{MemoryDeliveryLog: webhooktest.NewMemoryDeliveryLog()}
	svc := delivery.NewService(delivery.Config{Hooks: hooks, Log: log, Poster: posterFunc(func(delivery.Request) (delivery.Response, error) {
		return delivery.Response{Status: 204, Latency: time.Millisecond}, nil
	})})
	var ev events.SQSEvent
	for i := range 10 {
		m := message(1)
		j := webhook.NewJob(webhook.EventMessage{ID: fmt.Sprintf("evt_%d", i), Event: m.Job.Event, Payload: m.Job.Payload}, []string{"h1", "h2"}[i%2])
		b, _ := json.Marshal(j)
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint(i), ReceiptHandle: fmt.Sprint(i), Body: string(b),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	if _, err := delivery.NewSQSHandler(svc, &recordingRetrier{delays: map[string]time.Duration{}}, 10, nil).Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if log.records != 0 || len(log.batches) != 1 || log.batches[0] != 10 {
		t.Errorf("log got %d Record calls and batches %v, want one batch of 10", log.records, log.batches)
	}
	for _, h := range []string{"h1", "h2"} {
		if got, _ := log.Query(context.Background(), webhook.LogQuery{HookID: h}); len(got) != 5 {
			t.Errorf("hook %s has %d entries, want 5", h, len(got))
		}
	}
}
