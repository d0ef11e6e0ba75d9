package backend

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
)

// AWS names the resources of a deployment. Explicit names win over the
// stack's outputs; a setting needed and found in neither is an error naming
// the setting as the CLI spells its flag (the functions check their
// environment before they get here).
type AWS struct {
	// Stack names the stack Outputs come from (stack.Outputs reads them), for
	// messages.
	Stack string
	// Outputs are the stack's outputs by key (Out* below); explicit names win.
	Outputs         map[string]string
	HooksTable      string
	DeliveriesTable string
	QueueURL        string
	DLQURL          string
	// SlowQueueURL is the delivery function's slow lane (with NeedQueue);
	// "" opens none.
	SlowQueueURL string
	SourcesTable string
	// LogTTL is how long delivery-log items live (0: dynamo.DefaultTTL).
	LogTTL time.Duration
	// QueueOptions configure the SQS adapter (logger, send concurrency, ...).
	QueueOptions []sqsqueue.Option
}

// Stack output keys (template.yaml's Outputs) that AWS.Outputs holds.
const (
	OutIngestURL       = "IngestUrl"
	OutHooksTable      = "HooksTableName"
	OutDeliveriesTable = "DeliveriesTableName"
	OutQueueURL        = "DeliveryQueueUrl"
	OutDLQURL          = "DeadLetterQueueUrl"
	OutSourcesTable    = "SourcesTableName"
	OutRelayURL        = "RelayUrl"
)

// OpenAWS returns the stores n names on DynamoDB and SQS, named by a's
// explicit names or else its stack outputs.
func OpenAWS(cfg aws.Config, a AWS, n Need) (*Backend, error) {
	out := a.Outputs
	setting := func(flag, value, key string) (string, error) {
		if value != "" {
			return value, nil
		}
		if v := out[key]; v != "" {
			return v, nil
		}
		if a.Stack != "" {
			return "", fmt.Errorf("%w: stack %s has no output %s; pass --%s", ErrMissing, a.Stack, key, flag)
		}
		return "", fmt.Errorf("%w: this command needs --%s (or --stack NAME) on AWS", ErrMissing, flag)
	}
	b := &Backend{Where: "AWS"}
	if a.Stack != "" {
		b.Where = "stack " + a.Stack
	}
	if n&WantLog != 0 && (a.DeliveriesTable != "" || out[OutDeliveriesTable] != "") {
		n |= NeedLog
	}
	if n&WantSources != 0 && (a.SourcesTable != "" || out[OutSourcesTable] != "") {
		n |= NeedSources
	}
	if n&(NeedHooks|NeedLog|NeedSources) != 0 {
		db := dynamodb.NewFromConfig(cfg)
		if n&NeedSources != 0 {
			table, err := setting("sources-table", a.SourcesTable, OutSourcesTable)
			if err != nil {
				return nil, err
			}
			b.Sources = dynamo.NewSourceStore(db, table)
			b.RelayURL = out[OutRelayURL]
		}
		if n&NeedHooks != 0 {
			table, err := setting("hooks-table", a.HooksTable, OutHooksTable)
			if err != nil {
				return nil, err
			}
			b.Hooks = dynamo.NewHookStore(db, table)
		}
		if n&NeedLog != 0 {
			table, err := setting("deliveries-table", a.DeliveriesTable, OutDeliveriesTable)
			if err != nil {
				return nil, err
			}
			ttl := a.LogTTL
			if ttl <= 0 {
				ttl = dynamo.DefaultTTL
			}
			b.Log = dynamo.NewDeliveryLog(db, table, ttl)
		}
	}
	if n&(NeedQueue|NeedDead) != 0 {
		queue, err := setting("queue-url", a.QueueURL, OutQueueURL)
		if err != nil {
			return nil, err
		}
		dlq := ""
		if n&NeedDead != 0 {
			if dlq, err = setting("dlq-url", a.DLQURL, OutDLQURL); err != nil {
				return nil, err
			}
		} else {
			dlq = a.DLQURL
		}
		client := sqs.NewFromConfig(cfg)
		q := sqsqueue.New(client, queue, dlq, a.QueueOptions...)
		if n&NeedQueue != 0 {
			b.Queue = q
			if a.SlowQueueURL != "" {
				b.SlowQueue = sqsqueue.New(client, a.SlowQueueURL, dlq, a.QueueOptions...)
			}
		}
		if n&NeedDead != 0 {
			b.Dead = q
		}
	}
	return b, nil
}
