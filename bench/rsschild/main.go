// Command rsschild is the delivery Lambda's work in a process of its own, so
// that bench can read its peak memory (max RSS) from the kernel: it decodes N
// SQS events of 10 jobs with large payloads from their JSON, as the Lambda
// runtime does, and hands each to the real SQSHandler, which signs and POSTs
// them to the receiver at -url. With -batches 0 it only starts and exits: the
// idle baseline. With -hostile the receiver misbehaves (see bench's hostile
// receiver) and failed deliveries are expected.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

const hookID = "benchhook000000000001"

// discardLog stands in for the DynamoDB delivery log: it gets every entry
// (request and response bodies truncated as for DynamoDB) and keeps none, as a
// log that writes them out does.
type discardLog struct{ webhook.DeliveryLog }

func (discardLog) Record(context.Context, webhook.LogEntry) error { return nil }

func main() {
	url := flag.String("url", "", "receiver URL (loopback)")
	batches := flag.Int("batches", 10, "batches of 10 to deliver (0: start and exit)")
	size := flag.Int("payload", 256<<10, "payload bytes per job")
	hostile := flag.Bool("hostile", false, "the receiver misbehaves: failed deliveries are expected")
	flag.Parse()
	if *batches > 0 {
		if err := run(*url, *batches, *size, *hostile); err != nil {
			fmt.Fprintln(os.Stderr, "rsschild:", err)
			os.Exit(1)
		}
	}
	// The parent cannot use its wait4 rusage: a child forked from a big parent
	// starts with the parent's RSS on Linux, so the child reports its own peak.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "rsschild:", err)
		os.Exit(1)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

func run(url string, batches, size int, hostile bool) error {
	ctx := context.Background()
	hooks := webhooktest.NewMemoryHookStore()
	if err := hooks.PutHook(ctx, webhook.Hook{ID: hookID, URL: url, Events: []webhook.Event{webhook.UserCreated}, Enabled: true, SigningKey: "k2VbXcW3mH7pQ9sT1uY5zA8dF0gJ4lN6"}); err != nil {
		return err
	}
	svc := delivery.NewService(delivery.Config{
		Hooks: hooks, Log: discardLog{}, Timeout: 2 * time.Second,
		// Every job is attempted: the figure is about what an attempt can cost.
		Isolation: delivery.IsolationConfig{FailureThreshold: -1},
		Poster:    delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}),
	})
	h := delivery.NewSQSHandler(svc, webhooktest.NewMemoryQueue(8, time.Minute), 10, nil)
	payload := json.RawMessage(`{"event":"User.Created","data":{"pad":"` + string(bytes.Repeat([]byte("x"), max(size-40, 0))) + `"}}`)
	for b := range batches {
		// Each batch arrives as fresh JSON, as the runtime API delivers it.
		raw, err := eventJSON(b, payload)
		if err != nil {
			return err
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		resp, err := h.Handle(ctx, ev)
		if err != nil {
			return err
		}
		if len(resp.BatchItemFailures) > 0 && !hostile {
			return fmt.Errorf("batch %d: %d deliveries failed", b, len(resp.BatchItemFailures))
		}
		if _, err := json.Marshal(resp); err != nil {
			return err
		}
	}
	return nil
}

func eventJSON(b int, payload json.RawMessage) ([]byte, error) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 10)}
	for k := range ev.Records {
		i := strconv.Itoa(b*10 + k)
		j := webhook.NewJob(webhook.EventMessage{ID: "evt_rss" + i, Event: webhook.UserCreated, Payload: payload}, hookID)
		body, err := json.Marshal(j)
		if err != nil {
			return nil, err
		}
		ev.Records[k] = events.SQSMessage{MessageId: "m" + i, ReceiptHandle: "r" + i, Body: string(body),
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
	}
	return json.Marshal(ev)
}
