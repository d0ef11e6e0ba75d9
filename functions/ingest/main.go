// Command ingest is the ingest Lambda: env -> AWS clients -> ingest service ->
// lambda.Start. Everything else lives in shared/ingest.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func main() {
	env := config.FromOS()
	log := env.Logger()
	set := config.LoadIngest(env)
	cfg, err := awsconfig.Load(context.Background())
	if err = errors.Join(env.Err(), err); err != nil {
		log.Error("ingest: cannot start", "error", err)
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(cfg)
	var sources webhook.SourceStore
	if set.SourcesTable != "" {
		sources = dynamo.NewSourceStore(db, set.SourcesTable)
	}
	svc := ingest.New(ingest.Config{
		Hooks:        dynamo.NewHookStore(db, set.HooksTable),
		Sources:      sources,
		ReplayWindow: set.ReplayWindow,
		Queue:        sqsqueue.New(sqs.NewFromConfig(cfg), set.QueueURL, ""),
		HookCacheTTL: set.HookCacheTTL,
		Limits:       set.Limits,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, set.MetricsNamespace),
	})
	lambda.Start(svc.HandleLambda)
}
