// Command delivery is the delivery Lambda: env -> AWS clients -> delivery service
// -> SQS batch handler -> lambda.Start. Everything else lives in shared/delivery.
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
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
)

func main() {
	env := config.FromOS()
	hooksTable := env.Required(config.EnvHooksTable)
	logTable := env.Required(config.EnvDeliveriesTable)
	queueURL := env.Required(config.EnvQueueURL)
	schedule := config.Parse(env, config.EnvRetrySchedule, delivery.DefaultSchedule, delivery.ParseSchedule)
	allow := config.Parse(env, config.EnvAllowPrivate, nil, delivery.ParseCIDRs)
	logTTL := env.Duration(config.EnvDeliveryLogTTL, dynamo.DefaultTTL)
	sender := delivery.SenderConfig{
		Policy:    delivery.Policy{AllowPrivate: allow},
		UserAgent: env.String(config.EnvUserAgent, ""),
		Timeout:   env.Duration(config.EnvDeliveryTimeout, delivery.DefaultTimeout),
	}
	cacheTTL := env.Duration(config.EnvHookCacheTTL, hookcache.DefaultTTL)
	concurrency := env.Int(config.EnvBatchConcurrency, 10)
	namespace := env.String(config.EnvMetricsNamespace, metrics.DefaultNamespace)
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: env.LogLevel()}))
	if err := env.Err(); err != nil {
		log.Error("delivery: bad configuration", "error", err)
		os.Exit(1)
	}
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		log.Error("delivery: AWS configuration", "error", err)
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(cfg)
	svc := delivery.NewService(delivery.Config{
		Hooks:        dynamo.NewHookStore(db, hooksTable),
		Log:          dynamo.NewDeliveryLog(db, logTable, logTTL),
		Poster:       delivery.NewSender(sender),
		Schedule:     schedule,
		Timeout:      sender.Timeout,
		HookCacheTTL: cacheTTL,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, namespace),
	})
	queue := sqsqueue.New(sqs.NewFromConfig(cfg), queueURL, "")
	lambda.Start(delivery.NewSQSHandler(svc, queue, concurrency, log).Handle)
}
