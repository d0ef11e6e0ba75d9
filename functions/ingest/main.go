// Command ingest is the ingest Lambda: env -> AWS clients -> ingest service ->
// lambda.Start. Everything else lives in shared/ingest.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
)

func main() {
	env := config.FromOS()
	hooksTable := env.Required(config.EnvHooksTable)
	queueURL := env.Required(config.EnvQueueURL)
	ttl := env.Duration(config.EnvHookCacheTTL, hookcache.DefaultTTL)
	namespace := env.String(config.EnvMetricsNamespace, metrics.DefaultNamespace)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel()}))
	if err := env.Err(); err != nil {
		log.Error("ingest: bad configuration", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("ingest: AWS configuration", "error", err)
		os.Exit(1)
	}
	svc := ingest.New(ingest.Config{
		Hooks:        dynamo.NewHookStore(dynamodb.NewFromConfig(cfg), hooksTable),
		Queue:        sqsqueue.New(sqs.NewFromConfig(cfg), queueURL, ""),
		HookCacheTTL: ttl,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, namespace),
	})
	lambda.Start(svc.HandleLambda)
}
