// Command delivery is the delivery Lambda: env -> AWS clients -> delivery service
// -> SQS batch handler -> lambda.Start. Everything else lives in shared/delivery.
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
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
)

func main() {
	env := config.FromOS()
	log := env.Logger()
	set := config.LoadDelivery(env)
	cfg, err := awsconfig.Load(context.Background())
	if err = errors.Join(env.Err(), err); err != nil {
		log.Error("delivery: cannot start", "error", err)
		os.Exit(1)
	}
	db := dynamodb.NewFromConfig(cfg)
	svc := delivery.NewService(delivery.Config{
		Hooks:        dynamo.NewHookStore(db, set.HooksTable),
		Log:          dynamo.NewDeliveryLog(db, set.DeliveriesTable, set.LogTTL),
		Poster:       delivery.NewSender(set.Sender),
		Schedule:     set.Schedule,
		Timeout:      set.Sender.Timeout,
		HookCacheTTL: set.HookCacheTTL,
		Concurrency:  set.Concurrency,
		Isolation:    set.Isolation,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, set.MetricsNamespace),
	})
	queue := sqsqueue.New(sqs.NewFromConfig(cfg), set.QueueURL, set.DLQURL)
	lambda.Start(delivery.NewSQSHandler(svc, queue, set.Concurrency, log).Handle)
}
