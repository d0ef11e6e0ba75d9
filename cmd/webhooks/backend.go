package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// cliNow is the CLI's notion of now; tests pin it for reproducible output.
var cliNow = time.Now

// Stack output keys (template.yaml's Outputs) the CLI reads with --stack.
const (
	outIngestURL       = "IngestUrl"
	outHooksTable      = "HooksTableName"
	outDeliveriesTable = "DeliveriesTableName"
	outQueueURL        = "DeliveryQueueUrl"
	outDLQURL          = "DeadLetterQueueUrl"
)

// outAliases are older spellings of output keys, accepted as well.
var outAliases = map[string]string{outDLQURL: "DeliveryDlqUrl"}

// backendFlags select where hooks, the delivery log and the DLQ live: the local
// SQLite file `webhooks dev` uses, or a deployed stack's tables and queues.
type backendFlags struct {
	db              string
	stack           string
	hooksTable      string
	deliveriesTable string
	queueURL        string
	dlqURL          string
}

func (f *backendFlags) register(cmd *cobra.Command) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.db, "db", devserver.DefaultDBPath, "the local SQLite file (the one webhooks dev uses)")
	fs.StringVar(&f.stack, "stack", "", "use the AWS resources of this CloudFormation stack (reads its outputs)")
	fs.StringVar(&f.hooksTable, "hooks-table", "", "AWS: the hooks DynamoDB table (overrides the stack's)")
	fs.StringVar(&f.deliveriesTable, "deliveries-table", "", "AWS: the delivery-log DynamoDB table (overrides the stack's)")
	fs.StringVar(&f.queueURL, "queue-url", "", "AWS: the delivery SQS queue URL (overrides the stack's)")
	fs.StringVar(&f.dlqURL, "dlq-url", "", "AWS: the dead-letter SQS queue URL (overrides the stack's)")
}

// onAWS reports whether any AWS flag was given.
func (f *backendFlags) onAWS() bool {
	return f.stack != "" || f.hooksTable != "" || f.deliveriesTable != "" || f.queueURL != "" || f.dlqURL != ""
}

// need says which stores a command uses, so a missing AWS setting is named
// before anything runs.
type need int

const (
	needHooks need = 1 << iota
	needLog
	needDead
	// wantLog opens the delivery log when it is configured and goes without
	// it otherwise (hooks list and get then show no stats).
	wantLog
)

// backend is an open set of stores. Only those the command needs are set.
type backend struct {
	hooks webhook.HookStore
	log   webhook.DeliveryLog
	dead  webhook.DeadLetters
	// where names the backend in messages: the file or the stack.
	where string
	close func() error
}

func (b *backend) Close() error {
	if b.close == nil {
		return nil
	}
	return b.close()
}

func (f *backendFlags) open(cmd *cobra.Command, n need) (*backend, error) {
	if !f.onAWS() {
		db, err := embedded.Open(f.db, embedded.Options{Now: cliNow})
		if err != nil {
			return nil, err
		}
		return &backend{hooks: db, log: db, dead: db, where: f.db, close: db.Close}, nil
	}
	if cmd.Flags().Changed("db") {
		return nil, errors.New("--db selects the local backend; drop it when using --stack or the AWS table and queue flags")
	}
	ctx := cmd.Context()
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if f.stack != "" {
		if out, err = stackOutputs(ctx, cfg, f.stack); err != nil {
			return nil, err
		}
	}
	setting := func(flag, value, key string) (string, error) {
		if value != "" {
			return value, nil
		}
		if v := out[key]; v != "" {
			return v, nil
		}
		if f.stack != "" {
			return "", fmt.Errorf("stack %s has no output %s; pass --%s", f.stack, key, flag)
		}
		return "", fmt.Errorf("this command needs --%s (or --stack NAME) on AWS", flag)
	}
	b := &backend{where: "AWS"}
	if f.stack != "" {
		b.where = "stack " + f.stack
	}
	if n&wantLog != 0 && (f.deliveriesTable != "" || out[outDeliveriesTable] != "") {
		n |= needLog
	}
	if n&(needHooks|needLog) != 0 {
		db := dynamodb.NewFromConfig(cfg)
		if n&needHooks != 0 {
			table, err := setting("hooks-table", f.hooksTable, outHooksTable)
			if err != nil {
				return nil, err
			}
			b.hooks = dynamo.NewHookStore(db, table)
		}
		if n&needLog != 0 {
			table, err := setting("deliveries-table", f.deliveriesTable, outDeliveriesTable)
			if err != nil {
				return nil, err
			}
			b.log = dynamo.NewDeliveryLog(db, table, dynamo.DefaultTTL)
		}
	}
	if n&needDead != 0 {
		queue, err := setting("queue-url", f.queueURL, outQueueURL)
		if err != nil {
			return nil, err
		}
		dlq, err := setting("dlq-url", f.dlqURL, outDLQURL)
		if err != nil {
			return nil, err
		}
		b.dead = sqsqueue.New(sqs.NewFromConfig(cfg), queue, dlq)
	}
	return b, nil
}

// with opens the stores n names, runs fn on them and closes them again.
func (f *backendFlags) with(cmd *cobra.Command, n need, fn func(b *backend) error) error {
	b, err := f.open(cmd, n)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}

// stackOutputs returns the stack's outputs by key, aliases included.
func stackOutputs(ctx context.Context, cfg aws.Config, name string) (map[string]string, error) {
	resp, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		return nil, fmt.Errorf("read outputs of stack %s: %w", name, err)
	}
	if len(resp.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s not found", name)
	}
	out := map[string]string{}
	for _, o := range resp.Stacks[0].Outputs {
		if o.OutputKey != nil && o.OutputValue != nil {
			out[*o.OutputKey] = *o.OutputValue
		}
	}
	for key, alias := range outAliases {
		if out[key] == "" {
			out[key] = out[alias]
		}
	}
	return out, nil
}

// isTerminal reports whether f is an interactive terminal; prompts and
// progress bars appear only there. Tests replace it.
var isTerminal = func(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// parseEventList parses comma-separated event names, suggesting the closest
// name for a typo.
func parseEventList(flag string, names []string) ([]webhook.Event, error) {
	var events []webhook.Event
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			e, err := webhook.ParseEvent(part)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", flag, err)
			}
			events = append(events, e)
		}
	}
	return events, nil
}

// formatMillis shows an epoch-ms time in UTC, to the second.
func formatMillis(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05Z")
}
