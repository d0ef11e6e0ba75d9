package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/backend/stack"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// cliNow is the CLI's notion of now; tests pin it for reproducible output.
var cliNow = time.Now

// backendFlags select where hooks, the delivery log and the DLQ live: the local
// SQLite file `webhooks dev` uses, or a deployed stack's tables and queues.
type backendFlags struct {
	db  string
	aws backend.AWS
}

func (f *backendFlags) register(cmd *cobra.Command) {
	fs := cmd.PersistentFlags()
	fs.StringVar(&f.db, "db", devserver.DefaultDBPath, "the local SQLite file (the one webhooks dev uses)")
	fs.StringVar(&f.aws.Stack, "stack", "", "use the AWS resources of this CloudFormation stack (reads its outputs)")
	fs.StringVar(&f.aws.HooksTable, "hooks-table", "", "AWS: the hooks DynamoDB table (overrides the stack's)")
	fs.StringVar(&f.aws.DeliveriesTable, "deliveries-table", "", "AWS: the delivery-log DynamoDB table (overrides the stack's)")
	fs.StringVar(&f.aws.QueueURL, "queue-url", "", "AWS: the delivery SQS queue URL (overrides the stack's)")
	fs.StringVar(&f.aws.DLQURL, "dlq-url", "", "AWS: the dead-letter SQS queue URL (overrides the stack's)")
}

// onAWS reports whether any AWS flag was given.
func (f *backendFlags) onAWS() bool {
	a := f.aws
	return a.Stack != "" || a.HooksTable != "" || a.DeliveriesTable != "" || a.QueueURL != "" || a.DLQURL != "" || a.SourcesTable != ""
}

// open is the CLI's half of the backend factory: the embedded file unless an
// AWS flag is given, then the stores n names on AWS.
func (f *backendFlags) open(cmd *cobra.Command, n backend.Need) (*backend.Backend, error) {
	if !f.onAWS() {
		return embedded.OpenBackend(f.db, embedded.Options{Now: cliNow})
	}
	if cmd.Flags().Changed("db") {
		return nil, errors.New("--db selects the local backend; drop it when using --stack or the AWS table and queue flags")
	}
	cfg, err := awsconfig.Load(cmd.Context())
	if err != nil {
		return nil, err
	}
	a := f.aws
	if a.Stack != "" {
		if a.Outputs, err = stack.Outputs(cmd.Context(), cfg, a.Stack); err != nil {
			return nil, err
		}
	}
	return backend.OpenAWS(cfg, a, n)
}

// with opens the stores n names, runs fn on them and closes them again.
func (f *backendFlags) with(cmd *cobra.Command, n backend.Need, fn func(b *backend.Backend) error) error {
	b, err := f.open(cmd, n)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
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
