// Package functions_test runs the ingest and delivery bootstraps as Lambda runs
// them: built with lambda.norpc, started under the Runtime Interface Emulator,
// invoked with API Gateway HTTP API and SQS event JSON, against SQS and DynamoDB
// in moto. The test plays the parts of API Gateway and of the SQS event source
// mapping (receive, invoke, delete what succeeded).
package functions_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/lambdatest"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// region is the region moto and the functions use; awstest pins us-east-1.
const region = "us-east-1"

// stack is one isolated deployment in moto: the two tables, the delivery queue
// and its DLQ, and the slow lane's queue, as template.yaml declares them.
type stack struct {
	db                   *dynamodb.Client
	sqs                  *sqs.Client
	hooksTable, logTable string
	queueURL, dlqURL     string
	queueARN             string
	slowURL, slowARN     string
	schedule             string
	hooks                *dynamo.HookStore
	log                  *dynamo.DeliveryLog
	queue                *sqsqueue.Queue
}

// newStack creates the tables and queues; the queue's maxReceiveCount is the
// schedule's attempt count, as the template derives it.
func newStack(t *testing.T, schedule string) *stack {
	t.Helper()
	cfg := awstest.Config(t)
	sched, err := delivery.ParseSchedule(schedule)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{
		db:         dynamodb.NewFromConfig(cfg),
		sqs:        sqs.NewFromConfig(cfg),
		hooksTable: awstest.Name("hooks"),
		logTable:   awstest.Name("deliveries"),
		schedule:   schedule,
	}
	if err := awstest.CreateTables(t.Context(), s.db, s.hooksTable, s.logTable); err != nil {
		t.Fatal(err)
	}
	s.queueURL, s.dlqURL, err = awstest.CreateQueues(t.Context(), s.sqs, awstest.Name("deliveries"), sched.Attempts(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := s.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: &s.queueURL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.queueARN = attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	// The template's slow queue redrives to the same DLQ; here it has its own,
	// which the function never sees (it dead-letters to DLQ_URL itself).
	if s.slowURL, _, err = awstest.CreateQueues(t.Context(), s.sqs, awstest.Name("deliveries-slow"), sched.Attempts(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	attrs, err = s.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: &s.slowURL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.slowARN = attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	s.hooks = dynamo.NewHookStore(s.db, s.hooksTable)
	s.log = dynamo.NewDeliveryLog(s.db, s.logTable, time.Hour)
	s.queue = sqsqueue.New(s.sqs, s.queueURL, s.dlqURL, sqsqueue.WithScanVisibility(30*time.Second))
	return s
}

// env is the functions' environment as template.yaml sets it, pointed at moto,
// plus extra (e.g. ALLOW_PRIVATE_CIDRS).
func (s *stack) env(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          region,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_ENDPOINT_URL":            os.Getenv(awstest.EndpointEnv),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
		"HOOKS_TABLE":                 s.hooksTable,
		"DELIVERIES_TABLE":            s.logTable,
		"QUEUE_URL":                   s.queueURL,
		"DLQ_URL":                     s.dlqURL,
		"SLOW_QUEUE_URL":              s.slowURL,
		"RETRY_SCHEDULE":              s.schedule,
		"DELIVERY_TIMEOUT":            "3s",
		"LOG_LEVEL":                   "info",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// addHook stores an enabled hook and registers its secrets for the log scan.
func (s *stack) addHook(t *testing.T, sec *secrets, url string, evs []webhook.Event, headers map[string]string) webhook.Hook {
	t.Helper()
	h := webhook.Hook{
		ID: webhook.NewHookID(), Name: "test " + t.Name(), Events: evs, URL: url, Headers: headers,
		SigningKey: webhook.NewSigningKey(), Enabled: true, CreatedAt: time.Now().UnixMilli(),
	}
	if err := s.hooks.PutHook(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	sec.add(h.SigningKey, signature.Secret(h.SigningKey))
	for _, v := range headers {
		sec.add(v)
	}
	return h
}

// receive waits up to wait for messages, asking for all system attributes as
// the event source mapping does.
func (s *stack) receive(t *testing.T, queueURL string, max int, wait time.Duration) []types.Message {
	t.Helper()
	out, err := s.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:                    &queueURL,
		MaxNumberOfMessages:         int32(max),
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// receiveN receives until n messages have arrived, failing after timeout.
func (s *stack) receiveN(t *testing.T, n int, timeout time.Duration) []types.Message {
	t.Helper()
	var msgs []types.Message
	deadline := time.Now().Add(timeout)
	for len(msgs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d messages within %v, want %d", len(msgs), timeout, n)
		}
		msgs = append(msgs, s.receive(t, s.queueURL, min(10, n-len(msgs)), time.Second)...)
	}
	return msgs
}

// counts returns the queue's visible and in-flight message counts.
func (s *stack) counts(t *testing.T, queueURL string) (visible, inFlight int) {
	t.Helper()
	out, err := s.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: &queueURL,
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// sqsEvent builds the event the SQS event source mapping sends for msgs.
func (s *stack) sqsEvent(msgs []types.Message) events.SQSEvent {
	return sqsEvent(s.queueARN, msgs)
}

func sqsEvent(queueARN string, msgs []types.Message) events.SQSEvent {
	var e events.SQSEvent
	for _, m := range msgs {
		e.Records = append(e.Records, events.SQSMessage{
			MessageId:         aws.ToString(m.MessageId),
			ReceiptHandle:     aws.ToString(m.ReceiptHandle),
			Body:              aws.ToString(m.Body),
			Md5OfBody:         aws.ToString(m.MD5OfBody),
			Attributes:        m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    queueARN,
			AWSRegion:         region,
		})
	}
	return e
}

// deliver is one turn of the event source mapping: invoke the delivery function
// with msgs, then delete the messages it did not report as failed. It returns
// the ids of the failed messages.
func (s *stack) deliver(t *testing.T, fn *lambdatest.Function, msgs []types.Message) []string {
	t.Helper()
	payload, err := json.Marshal(s.sqsEvent(msgs))
	if err != nil {
		t.Fatal(err)
	}
	res, err := fn.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("delivery function error: %s", res.Payload)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("delivery response %s: %v", res.Payload, err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !slices.Contains(failed, aws.ToString(m.MessageId)) {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) > 0 {
		out, err := s.sqs.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: &s.queueURL, Entries: del})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("delete delivered messages: %s", aws.ToString(out.Failed[0].Message))
		}
	}
	return failed
}

// logEntries returns the hook's delivery-log items, oldest first.
func (s *stack) logEntries(t *testing.T, hookID string) []webhook.LogEntry {
	t.Helper()
	entries, err := s.log.Query(t.Context(), webhook.LogQuery{HookID: hookID, Until: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(entries)
	return entries
}

// httpAPIEvent returns testdata's API Gateway HTTP API event with body in place
// of its own (and content-length to match), or unchanged when body is nil.
func httpAPIEvent(t *testing.T, body []byte) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "httpapi-post-events.json"))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"] = string(body)
	ev["headers"].(map[string]any)["content-length"] = strconv.Itoa(len(body))
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testdataBody is the ingest request inside testdata's HTTP API event.
func testdataBody(t *testing.T) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(httpAPIEvent(t, nil), &ev); err != nil {
		t.Fatal(err)
	}
	return []byte(ev.Body)
}

// invokeHTTP invokes the ingest function with an HTTP API event and returns the
// response status and body.
func invokeHTTP(t *testing.T, fn *lambdatest.Function, event []byte) (int, []byte) {
	t.Helper()
	res, err := fn.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("ingest function error: %s", res.Payload)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("ingest response %s: %v", res.Payload, err)
	}
	if ct := resp.Headers["content-type"]; ct != "application/json" {
		t.Errorf("content-type = %q, want application/json", ct)
	}
	return resp.StatusCode, []byte(resp.Body)
}

// ingestResponse is the 202 body.
type ingestResponse struct {
	Accepted   int `json:"accepted"`
	Deliveries int `json:"deliveries"`
	Events     []struct {
		ID    string        `json:"id"`
		Event webhook.Event `json:"event"`
	} `json:"events"`
}

// ingestError is the 4xx body.
type ingestError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Record  *int   `json:"record"`
		Field   string `json:"field"`
	} `json:"error"`
}

// receiver is an endpoint on 127.0.0.1 that verifies every delivery with both
// our verifier and the official Standard Webhooks library.
type receiver struct {
	srv *httptest.Server
	// status answers the nth (1-based) request; nil answers 200.
	status func(n int) int
	// location is sent with 3xx answers.
	location string

	mu     sync.Mutex
	key    string
	header map[string]string // custom headers the hook must carry
	got    []received
}

type received struct {
	path   string
	header http.Header
	body   []byte
	err    error // verification failure
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// expect sets the key and custom headers deliveries must carry.
func (r *receiver) expect(h webhook.Hook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.key, r.header = h.SigningKey, h.Headers
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(req.Body)
	body := buf.Bytes()
	r.mu.Lock()
	key, want := r.key, r.header
	r.mu.Unlock()
	err := verify(req.Header, body, key, want)
	r.mu.Lock()
	r.got = append(r.got, received{path: req.URL.Path, header: req.Header.Clone(), body: body, err: err})
	n := len(r.got)
	r.mu.Unlock()
	code := http.StatusOK
	if r.status != nil {
		code = r.status(n)
	}
	if code >= 300 && code < 400 && r.location != "" {
		w.Header().Set("Location", r.location)
	}
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"n":%d}`, n)
}

func verify(h http.Header, body []byte, key string, want map[string]string) error {
	if key == "" {
		return fmt.Errorf("no key to verify with")
	}
	for _, name := range []string{signature.HeaderLogto, signature.HeaderSignature, signature.HeaderID, signature.HeaderTimestamp} {
		if h.Get(name) == "" {
			return fmt.Errorf("header %s missing", name)
		}
	}
	if err := signature.Verify(h, body, key, 5*time.Minute, time.Now()); err != nil {
		return fmt.Errorf("signature.Verify: %w", err)
	}
	wh, err := standardwebhooks.NewWebhook(signature.Secret(key))
	if err != nil {
		return err
	}
	if err := wh.Verify(body, h); err != nil {
		return fmt.Errorf("standard-webhooks library: %w", err)
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			return fmt.Errorf("custom header %s is not the hook's value", k)
		}
	}
	return nil
}

// requests returns what the receiver got so far.
func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// checkVerified fails the test for any delivery that did not verify.
func (r *receiver) checkVerified(t *testing.T) {
	t.Helper()
	for i, g := range r.requests() {
		if g.err != nil {
			t.Errorf("delivery %d to %s does not verify: %v", i+1, g.path, g.err)
		}
	}
}

// secrets collects values that must never be logged.
type secrets struct {
	mu   sync.Mutex
	vals []string
}

func (s *secrets) add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals = append(s.vals, v...)
}

func (s *secrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.vals)
}

// fleet starts functions and keeps them all for the log scan.
type fleet struct {
	mu  sync.Mutex
	fns []*lambdatest.Function
}

func (f *fleet) start(t *testing.T, name, bootstrap string, env map[string]string) *lambdatest.Function {
	t.Helper()
	fn := lambdatest.Start(t, name, bootstrap, env)
	f.mu.Lock()
	f.fns = append(f.fns, fn)
	f.mu.Unlock()
	return fn
}

func (f *fleet) all() []*lambdatest.Function {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fns)
}

// measurementsDir returns .cache/measurements under the module root.
func measurementsDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, ".cache", "measurements")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeMeasurement writes v as indented JSON to .cache/measurements/name.
func writeMeasurement(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(measurementsDir(t), name)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("measurements written to %s", path)
}

// contains reports whether any line holds s, and the first such line.
func contains(lines []string, s string) (string, bool) {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return l, true
		}
	}
	return "", false
}
