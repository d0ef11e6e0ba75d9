// Command ingest is the ingest Lambda: env -> AWS clients -> ingest service ->
// lambda.Start. Everything else lives in shared/ingest.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/logto-webhooks/webhooks/shared/awsenv"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
)

func main() {
	env := config.FromOS()
	log := env.Logger()
	set := config.LoadIngest(env)
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx)
	var b *backend.Backend
	if err == nil && env.Err() == nil {
		b, err = backend.OpenAWS(cfg, backend.AWS{HooksTable: set.HooksTable, QueueURL: set.QueueURL, SourcesTable: set.SourcesTable},
			backend.NeedHooks|backend.NeedQueue|backend.WantSources)
	}
	if err = errors.Join(env.Err(), err); err != nil {
		log.Error("ingest: cannot start", "error", err)
		os.Exit(1)
	}
	svc := ingest.New(ingest.Config{
		Hooks:        b.Hooks,
		Sources:      b.Sources,
		ReplayWindow: set.ReplayWindow,
		Queue:        b.Queue,
		HookCacheTTL: set.HookCacheTTL,
		Limits:       set.Limits,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, set.MetricsNamespace),
	})
	lambda.Start(svc.HandleLambda)
}
