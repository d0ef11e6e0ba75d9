package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// endpointEnv names the emulator scripts/emulators.sh starts.
const endpointEnv = awstest.EndpointEnv

// errNoEmulator skips the AWS sections when no emulator is running.
var errNoEmulator = errors.New(endpointEnv + " is not set (scripts/bench.sh starts moto and sets it)")

// emulatorConfig returns the tests' SDK configuration for the emulator
// (loopback only, fake credentials), so a benchmark can never reach or bill a
// real AWS account.
func emulatorConfig(ctx context.Context) (aws.Config, error) {
	endpoint := os.Getenv(endpointEnv)
	if endpoint == "" {
		return aws.Config{}, errNoEmulator
	}
	return awstest.Load(ctx, endpoint)
}

// uniqueName returns a queue or table name no earlier run used.
func uniqueName(prefix string) string {
	return prefix + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

// benchIngest compares records/s mapped and enqueued through ingest.Service
// with the SQS adapter against bare SendMessageBatch calls of the same messages
// (same count, same bodies, 10 per call), both against the same emulator.
func benchIngest(ctx context.Context, o options, r *results) error {
	cfg, err := emulatorConfig(ctx)
	if errors.Is(err, errNoEmulator) {
		r.skip("ingest", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	client := sqs.NewFromConfig(cfg)
	hooks := webhooktest.NewMemoryHookStore()
	if err := hooks.PutHook(ctx, benchHook("https://receiver.example/hook")); err != nil {
		return err
	}
	n := o.IngestRecords
	reqs := ingestBodies(n, pipelineRequestSize, o.PayloadSize)

	// The bare calls send the very messages ingest produced: same count, same sizes.
	captured := &capture{}
	probe := ingest.New(ingest.Config{Hooks: hooks, Queue: captured})
	for _, body := range reqs {
		if _, err := probe.Ingest(ctx, body); err != nil {
			return fmt.Errorf("probe ingest: %w", err)
		}
	}
	var bodies []string
	for _, j := range captured.jobs {
		bodies = append(bodies, encodeJob(j))
	}
	if len(bodies) != n {
		return fmt.Errorf("ingest produced %d jobs for %d records, want one each", len(bodies), n)
	}

	// moto's SendMessageBatch slows down linearly with the queue's depth (about
	// 0.2 ms per queued message), so each request goes to a fresh queue, created
	// outside the timed part, for both sides alike.
	fresh := func() (string, string, error) {
		return awstest.CreateQueues(ctx, client, uniqueName("bench-ingest"), 8, time.Minute)
	}
	var viaIngest, bare time.Duration
	for range o.Rounds {
		for i, body := range reqs {
			qURL, dlqURL, err := fresh()
			if err != nil {
				return err
			}
			svc := ingest.New(ingest.Config{Hooks: hooks, Queue: sqsqueue.New(client, qURL, dlqURL)})
			start := time.Now()
			if _, err := svc.Ingest(ctx, body); err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
			viaIngest += time.Since(start)

			if qURL, _, err = fresh(); err != nil {
				return err
			}
			first := i * pipelineRequestSize
			start = time.Now()
			for k0 := first; k0 < min(first+pipelineRequestSize, len(bodies)); k0 += 10 {
				var entries []types.SendMessageBatchRequestEntry
				for k := k0; k < min(k0+10, first+pipelineRequestSize, len(bodies)); k++ {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), MessageBody: &bodies[k]})
				}
				out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &qURL, Entries: entries})
				if err != nil {
					return fmt.Errorf("SendMessageBatch: %w", err)
				}
				if len(out.Failed) > 0 {
					return fmt.Errorf("SendMessageBatch: %d entries failed", len(out.Failed))
				}
			}
			bare += time.Since(start)
		}
	}
	total := float64(n * o.Rounds)
	r.add(figure{Key: "ingest/sqs-records", Value: total / viaIngest.Seconds(), Unit: "records/s", Base: total / bare.Seconds(),
		BaseDesc: "bare SendMessageBatch", Note: fmt.Sprintf("%d records in requests of %d, moto; baseline: bare SendMessageBatch of the same %d messages", n, pipelineRequestSize, n)})
	return nil
}

// capture is a webhook.Sender that keeps the jobs.
type capture struct {
	mu   sync.Mutex
	jobs []webhook.Job
}

func (c *capture) Send(_ context.Context, jobs []webhook.Job) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jobs = append(c.jobs, jobs...)
	return nil
}

// burst is what a burst cost in AWS requests.
type burst struct {
	events, delivered int
	// logBytes is what both functions wrote to CloudWatch Logs (JSON log lines
	// at the default level and EMF lines), as Lambda bills it.
	logBytes            int64
	ingestSQS, ingestDB map[string]int64
	deliverySQS         map[string]int64
	deliveryDB          map[string]int64
	// logItems and logWRU are the delivery-log items in the table after the
	// burst and the write units they billed (1 per started KiB each).
	logItems, logWRU int64
}

func sum(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}

// runBurst ingests n events, per records per request (requests sent by up to
// 10 producers at once), through the ingest Lambda's service (DynamoDB hooks,
// SQS queue), then delivers them with the delivery Lambda's handler fed by an
// emulated event source mapping (ReceiveMessage up to 10, Handle,
// DeleteMessageBatch of the successes, as Lambda's poller does), counting
// every AWS request on each side with awstest.CountCalls.
func runBurst(ctx context.Context, base aws.Config, n, per int, receiverURL string) (burst, error) {
	setup := sqs.NewFromConfig(base)
	qURL, dlqURL, err := awstest.CreateQueues(ctx, setup, uniqueName("bench-burst"), 8, time.Minute)
	if err != nil {
		return burst{}, err
	}
	hooksTable, logTable := uniqueName("bench-hooks"), uniqueName("bench-deliveries")
	if err := awstest.CreateTables(ctx, dynamodb.NewFromConfig(base), hooksTable, logTable); err != nil {
		return burst{}, err
	}
	if err := dynamo.NewHookStore(dynamodb.NewFromConfig(base), hooksTable).PutHook(ctx, benchHook(receiverURL)); err != nil {
		return burst{}, err
	}

	var logs byteCounter
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	emf := metrics.New(&logs, "")
	inCfg := base.Copy()
	inCalls := awstest.CountCalls(&inCfg)
	in := ingest.New(ingest.Config{
		Logger: logger, Metrics: emf,
		Hooks: dynamo.NewHookStore(dynamodb.NewFromConfig(inCfg), hooksTable),
		Queue: sqsqueue.New(sqs.NewFromConfig(inCfg), qURL, dlqURL),
	})
	reqs := ingestBodies(n, per, 1<<10)
	errs := make(chan error, len(reqs))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for _, body := range reqs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := in.Ingest(ctx, body); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return burst{}, fmt.Errorf("ingest: %w", err)
	}

	outCfg := base.Copy()
	outCalls := awstest.CountCalls(&outCfg)
	db := dynamodb.NewFromConfig(outCfg)
	svc := delivery.NewService(delivery.Config{
		Hooks:  dynamo.NewHookStore(db, hooksTable),
		Log:    dynamo.NewDeliveryLog(db, logTable, dynamo.DefaultTTL),
		Poster: delivery.NewSender(delivery.SenderConfig{Policy: delivery.Policy{AllowPrivate: loopback}}),
		Logger: logger, Metrics: emf,
	})
	client := sqs.NewFromConfig(outCfg)
	h := delivery.NewSQSHandler(svc, sqsqueue.New(client, qURL, dlqURL), concurrency, logger)
	delivered := 0
	for delivered < n {
		if ctx.Err() != nil {
			return burst{}, ctx.Err()
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &qURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return burst{}, fmt.Errorf("receive: %w", err)
		}
		if len(out.Messages) == 0 {
			return burst{}, fmt.Errorf("queue empty after %d of %d deliveries", delivered, n)
		}
		ev := events.SQSEvent{Records: make([]events.SQSMessage, len(out.Messages))}
		for i, m := range out.Messages {
			ev.Records[i] = events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Attributes: m.Attributes}
		}
		resp, err := h.Handle(ctx, ev)
		if err != nil {
			return burst{}, fmt.Errorf("handle: %w", err)
		}
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) > 0 {
			if _, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &qURL, Entries: del}); err != nil {
				return burst{}, fmt.Errorf("delete: %w", err)
			}
		}
		delivered += len(del)
	}
	b := burst{events: n, delivered: delivered, logBytes: logs.n.Load(), ingestSQS: map[string]int64{}, ingestDB: map[string]int64{},
		deliverySQS: map[string]int64{}, deliveryDB: map[string]int64{}}
	scan := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(base), &dynamodb.ScanInput{TableName: &logTable})
	for scan.HasMorePages() {
		page, err := scan.NextPage(ctx)
		if err != nil {
			return burst{}, fmt.Errorf("scan delivery log: %w", err)
		}
		for _, it := range page.Items {
			b.logItems++
			b.logWRU += int64(dynamo.ItemSize(it)+1023) / 1024
		}
	}
	for _, side := range []struct {
		calls    *awstest.CallCounter
		sqs, ddb map[string]int64
	}{{inCalls, b.ingestSQS, b.ingestDB}, {outCalls, b.deliverySQS, b.deliveryDB}} {
		for k, v := range side.calls.Snapshot() {
			svc, op, _ := strings.Cut(k, ".")
			switch svc {
			case "SQS":
				side.sqs[op] = v
			case "DynamoDB":
				side.ddb[op] = v
			}
		}
	}
	return b, nil
}

// dynamoReads are the DynamoDB operations that read.
var dynamoReads = []string{"GetItem", "BatchGetItem", "Query", "Scan"}

func reads(m map[string]int64) int64 {
	var t int64
	for _, op := range dynamoReads {
		t += m[op]
	}
	return t
}

// benchCalls counts the AWS requests of a burst of events, as the bill does.
func benchCalls(ctx context.Context, o options, r *results) error {
	cfg, err := emulatorConfig(ctx)
	if errors.Is(err, errNoEmulator) {
		r.skip("calls", err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	rec, err := startReceiver()
	if err != nil {
		return err
	}
	defer rec.Close()
	for _, sc := range []struct {
		key string
		per int
		n   int
	}{{"batched", pipelineRequestSize, o.BurstEvents}, {"single", 1, max(o.BurstEvents/5, 10)}} {
		b, err := runBurst(ctx, cfg, sc.n, sc.per, rec.URL)
		if err != nil {
			return fmt.Errorf("%s burst: %w", sc.key, err)
		}
		d := float64(b.delivered)
		sqsPerJob := float64(sum(b.ingestSQS)+sum(b.deliverySQS)) / d
		f := figure{Key: "calls/" + sc.key + "/sqs-per-job", Value: sqsPerJob, Unit: "calls",
			Note: fmt.Sprintf("%d events, %d per request; ingest %v, delivery %v", b.events, sc.per, b.ingestSQS, b.deliverySQS)}
		if sc.key == "batched" {
			f.Target = atMost(0.35)
		}
		r.add(f)
		rf := figure{Key: "calls/" + sc.key + "/dynamodb-reads-per-event", Value: float64(reads(b.ingestDB)) / float64(b.events), Unit: "reads",
			Note: fmt.Sprintf("ingest %v", b.ingestDB)}
		if sc.key == "batched" {
			rf.Target = atMost(0.01)
		}
		r.add(rf)
		r.add(figure{Key: "calls/" + sc.key + "/dynamodb-reads-per-job", Value: float64(reads(b.deliveryDB)) / d, Unit: "reads",
			Note: fmt.Sprintf("delivery side: %v", b.deliveryDB)})
		r.add(figure{Key: "calls/" + sc.key + "/dynamodb-writes-per-job", Value: float64(b.deliveryDB["PutItem"]+b.deliveryDB["UpdateItem"]) / d, Unit: "writes",
			Note: "delivery log, one item per hook per batch"})
		r.add(figure{Key: "calls/" + sc.key + "/log-items-per-job", Value: float64(b.logItems) / d, Unit: "items",
			Note: fmt.Sprintf("delivery-log items in the table after the burst; %d WRU for the bench's padded payloads", b.logWRU)})
		r.add(figure{Key: "calls/" + sc.key + "/log-bytes-per-job", Value: float64(b.logBytes) / d, Unit: "B",
			Note: "JSON logs at info and EMF lines of both functions, per delivery"})
	}
	return nil
}

// byteCounter counts what is written to it.
type byteCounter struct{ n atomic.Int64 }

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}
