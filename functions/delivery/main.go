// Command delivery is the delivery Lambda: env -> AWS clients -> delivery service
// -> SQS batch handler -> lambda.Start. Everything else lives in shared/delivery.
package main

import (
	"context"
	"errors"
	"os"
	"path"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/logto-webhooks/webhooks/shared/awsenv"
	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/config"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/metrics"
)

func main() {
	env := config.FromOS()
	log := env.Logger()
	set := config.LoadDelivery(env)
	ctx := context.Background()
	cfg, err := awsenv.Load(ctx)
	var b *backend.Backend
	if err == nil && env.Err() == nil {
		b, err = backend.OpenAWS(cfg, backend.AWS{
			HooksTable: set.HooksTable, DeliveriesTable: set.DeliveriesTable, LogTTL: set.LogTTL,
			QueueURL: set.QueueURL, DLQURL: set.DLQURL, SlowQueueURL: set.SlowQueueURL,
		}, backend.NeedHooks|backend.NeedLog|backend.NeedQueue)
	}
	if err = errors.Join(env.Err(), err); err != nil {
		log.Error("delivery: cannot start", "error", err)
		os.Exit(1)
	}
	svc := delivery.NewService(delivery.Config{
		Hooks:        b.Hooks,
		Log:          b.Log,
		Poster:       delivery.NewSender(set.Sender),
		Schedule:     set.Schedule,
		Timeout:      set.Sender.Timeout,
		HookCacheTTL: set.HookCacheTTL,
		Concurrency:  set.Concurrency,
		Isolation:    set.Isolation,
		Logger:       log,
		Metrics:      metrics.New(os.Stdout, set.MetricsNamespace),
	})
	h := delivery.NewSQSHandler(svc, b.Queue, 0, log)
	if b.SlowQueue != nil {
		h.WithSlowLane(b.SlowQueue, path.Base(set.SlowQueueURL), 0)
	}
	lambda.Start(h.Handle)
}
