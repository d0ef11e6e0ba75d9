package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// prices are public us-east-1 list prices (USD) as the cost model assumes them;
// docs/benchmarks.md prints them with the date they were taken.
var prices = struct {
	Date                          string
	LambdaGBSecond, LambdaRequest float64 // arm64, per GB-s / per request
	SQSRequest                    float64 // standard queue, per 64 KiB request chunk
	DynamoRRU, DynamoWRU          float64 // on-demand, per request unit
	HTTPAPIRequest                float64 // API Gateway HTTP API, first 300 M/month
	EventBridgeEvent              float64 // custom event published (PutEvents, 64 KiB chunk)
	APIDestination                float64 // EventBridge API destination invocation
	LogsGB                        float64 // CloudWatch Logs ingestion, per GB
}{
	Date:             "list prices as published on aws.amazon.com/pricing, taken 2025-06 (after DynamoDB's Nov 2024 on-demand cut); check before relying on them",
	LambdaGBSecond:   0.0000133334,
	LambdaRequest:    0.20 / 1e6,
	SQSRequest:       0.40 / 1e6,
	DynamoRRU:        0.125 / 1e6,
	DynamoWRU:        0.625 / 1e6,
	HTTPAPIRequest:   1.00 / 1e6,
	EventBridgeEvent: 1.00 / 1e6,
	APIDestination:   0.20 / 1e6,
	LogsGB:           0.50,
}

// Assumptions of the model that this machine cannot measure.
const (
	lambdaMemoryMB = 128
	// vCPUMB is the memory at which Lambda gives a function one full vCPU; at
	// 128 MB it gets 128/1769 of one, so CPU time measured here stretches.
	vCPUMB = 1769
	// receiverMs is how long a receiver takes to answer (the POSTs of a batch
	// run in parallel, so a batch waits about this long once).
	receiverMs = 100.0
	// awsCallMs is an in-region SQS or DynamoDB call's latency.
	awsCallMs          = 8.0
	deliveriesPerModel = 1e6
)

// scenario is one column of the cost model.
type scenario struct {
	Name string
	// RecordsPerRequest is how many records a producer sends per ingest call.
	RecordsPerRequest float64
	// Batch is the delivery batch size (10 when the queue has a backlog).
	Batch float64
	// Measured inputs.
	SQSPerJob, ReadsPerEvent, ReadsPerJob, WritesPerJob float64
	// LogBytesPerJob is the CloudWatch Logs volume per delivery (JSON logs
	// and EMF lines of both functions).
	LogBytesPerJob float64
	Source         string
}

// costLine is one row of the model: an AWS charge per million deliveries.
type costLine struct {
	What    string
	How     string
	Dollars []float64 // per scenario
}

// costModel derives the cost per million deliveries from the measured figures.
// Figures this run did not measure fall back to the design's numbers, and the
// report says which were used.
func costModel(r *results) ([]scenario, []costLine, []string) {
	var notes []string
	val := func(key string, fallback float64) float64 {
		if f, ok := r.get(key); ok {
			return f.Value
		}
		notes = append(notes, fmt.Sprintf("%s not measured in this run; assumed %s", key, num(fallback)))
		return fallback
	}
	scs := []scenario{
		{Name: "producer batches 100 records", RecordsPerRequest: 100, Batch: 10,
			SQSPerJob: val("calls/batched/sqs-per-job", 0.3), ReadsPerEvent: val("calls/batched/dynamodb-reads-per-event", 0.001),
			ReadsPerJob: val("calls/batched/dynamodb-reads-per-job", 0.001), WritesPerJob: val("calls/batched/dynamodb-writes-per-job", 1),
			LogBytesPerJob: val("calls/batched/log-bytes-per-job", 1000)},
		{Name: "producer sends 1 record per call", RecordsPerRequest: 1, Batch: 10,
			SQSPerJob: val("calls/single/sqs-per-job", 1.2), ReadsPerEvent: val("calls/single/dynamodb-reads-per-event", 0.001),
			ReadsPerJob: val("calls/single/dynamodb-reads-per-job", 0.001), WritesPerJob: val("calls/single/dynamodb-writes-per-job", 1),
			LogBytesPerJob: val("calls/single/log-bytes-per-job", 1000)},
	}
	stretch := float64(vCPUMB) / lambdaMemoryMB
	mapUs := val("go/map-management", 25)
	// CPU per delivery here: every core busy at the handler's rate, receiver
	// included, so this overstates the Lambda's own share.
	deliverUs := 200.0
	if f, ok := r.get("delivery/handler-memlog"); ok && f.Value > 0 {
		deliverUs = float64(r.cpus()) * 1e6 / f.Value
	} else {
		notes = append(notes, "delivery/handler-memlog not measured in this run; assumed 200 µs CPU per delivery")
	}
	gb := float64(lambdaMemoryMB) / 1024
	itemsPerJob := val("calls/batched/log-items-per-job", 0.1)
	perItem := max(1, int(math.Round(1/max(itemsPerJob, 1e-9))))
	itemBytes := logItemBytes(perItem)
	wruPerJob := math.Ceil(float64(itemBytes)/1024) / float64(perItem)

	var lines []costLine
	add := func(what, how string, f func(s scenario) float64) {
		l := costLine{What: what, How: how}
		for _, s := range scs {
			l.Dollars = append(l.Dollars, f(s))
		}
		lines = append(lines, l)
	}
	ingestMs := func(s scenario) float64 {
		return math.Ceil(s.RecordsPerRequest*mapUs*stretch/1000 + math.Ceil(s.RecordsPerRequest/10)*awsCallMs)
	}
	batchMs := func(s scenario) float64 {
		return math.Ceil(receiverMs + s.Batch*deliverUs*stretch/1000)
	}
	add("Ingest Lambda requests", "1 invoke per producer call", func(s scenario) float64 {
		return deliveriesPerModel / s.RecordsPerRequest * prices.LambdaRequest
	})
	add("Ingest Lambda duration", fmt.Sprintf("%d MB arm64; map CPU x%.1f (128 MB share of a vCPU) + %.0f ms per SendMessageBatch", lambdaMemoryMB, stretch, awsCallMs), func(s scenario) float64 {
		return deliveriesPerModel / s.RecordsPerRequest * ingestMs(s) / 1000 * gb * prices.LambdaGBSecond
	})
	add("Delivery Lambda requests", "1 invoke per batch", func(s scenario) float64 {
		return deliveriesPerModel / s.Batch * prices.LambdaRequest
	})
	add("Delivery Lambda duration", fmt.Sprintf("receiver answers in %.0f ms; measured CPU per delivery x%.1f", receiverMs, stretch), func(s scenario) float64 {
		return deliveriesPerModel / s.Batch * batchMs(s) / 1000 * gb * prices.LambdaGBSecond
	})
	add("SQS requests", "measured calls per job (send, receive, delete; 1 KiB < one 64 KiB chunk)", func(s scenario) float64 {
		return deliveriesPerModel * s.SQSPerJob * prices.SQSRequest
	})
	add("DynamoDB reads", "measured reads per event + per job, 1 RRU each (small items)", func(s scenario) float64 {
		return deliveriesPerModel * (s.ReadsPerEvent + s.ReadsPerJob) * prices.DynamoRRU
	})
	add("DynamoDB delivery log writes", fmt.Sprintf("measured %.3f items per job (one per hook per batch); an item of %d realistic 1 KiB deliveries is %d B, %.2f WRU per job",
		itemsPerJob, perItem, itemBytes, wruPerJob), func(scenario) float64 {
		return deliveriesPerModel * wruPerJob * prices.DynamoWRU
	})
	add("CloudWatch Logs", "measured bytes of JSON log (info) and EMF per delivery, both functions", func(s scenario) float64 {
		return deliveriesPerModel * s.LogBytesPerJob / 1e9 * prices.LogsGB
	})
	add("API Gateway HTTP API", "1 request per producer call (0 with direct Lambda invoke)", func(s scenario) float64 {
		return deliveriesPerModel / s.RecordsPerRequest * prices.HTTPAPIRequest
	})
	for i := range scs {
		scs[i].Source = fmt.Sprintf("ingest %.0f ms per call, delivery %.0f ms per batch", ingestMs(scs[i]), batchMs(scs[i]))
	}
	return scs, lines, notes
}

// logItemBytes is the billed size of a delivery-log item holding n 1 KiB
// deliveries of a realistic Logto payload (each its own user, e-mail address and
// ids), as the DynamoDB adapter stores them: gzipped together.
func logItemBytes(n int) int {
	var batch []webhook.LogEntry
	for i := range n {
		body := strings.NewReplacer("k3j9x2m1p8q7", fmt.Sprintf("k3j9x%07d", 7919*i), "alice.example", fmt.Sprintf("user%06d", 104729*i%1000000),
			"1764071234567", fmt.Sprint(1764071234567+int64(i)*7331)).Replace(realisticBody)
		batch = append(batch, webhook.LogEntry{HookID: benchHookID, DeliveryID: fmt.Sprintf("msg_0123456789abcdefghjkm%05d", 31*i), EventID: fmt.Sprintf("evt_0123456789abcdefghjkm%05d", 37*i),
			Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultSuccess, Status: 204, LatencyMs: 100 + int64(i),
			Request: body, CreatedAt: 1764072000000 + int64(i)*3})
	}
	n = 0
	for _, size := range dynamo.LogItemSizes(batch, dynamo.DefaultTTL) {
		n += size
	}
	return n
}

// realisticBody is a 1 KiB User.Created delivery as Logto sends it: JSON, with ids,
// e-mail addresses and timestamps, which gzip less well than padding would.
const realisticBody = `{"event":"User.Created","createdAt":"2026-11-25T12:00:00.000Z","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36","ip":"203.0.113.5","path":"/users","method":"POST","status":200,"params":{},"matchedRoute":"/users","data":{"id":"k3j9x2m1p8q7","username":"alice.example","primaryEmail":"alice.example@example.com","primaryPhone":"+15551234567","name":"Alice Example","avatar":"https://cdn.example.com/avatars/k3j9x2m1p8q7.png","customData":{"plan":"pro","seats":12,"region":"eu-west-1","crmId":"0015g00000XyZ1AAB"},"identities":{"github":{"userId":"9876543","details":{"email":"alice@example.org","name":"Alice E.","avatar":"https://avatars.example.com/u/9876543"}}},"lastSignInAt":1764071234567,"createdAt":1764070000000,"updatedAt":1764071234567,"profile":{"givenName":"Alice","familyName":"Example","locale":"en-GB","zoneinfo":"Europe/London"},"applicationId":"8f2a1c9d0e7b","isSuspended":false,"hasPassword":true},"hookId":"h7t2v9w4q1z8x3c6b5n0m"}`

// total sums lines for scenario i, optionally without the log and API Gateway.
func total(lines []costLine, i int, withLog, withAPIGateway bool) float64 {
	t := 0.0
	for _, l := range lines {
		if (!withLog && l.What == "DynamoDB delivery log writes") || (!withAPIGateway && l.What == "API Gateway HTTP API") {
			continue
		}
		t += l.Dollars[i]
	}
	return t
}
