package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/dynamo"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

func TestSourceStore(t *testing.T) {
	webhooktest.TestSourceStore(t, func(t *testing.T) webhook.SourceStore {
		client := dynamodb.NewFromConfig(awstest.Config(t))
		table := awstest.Name("sources")
		if err := awstest.CreateSourcesTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		return dynamo.NewSourceStore(client, table)
	})
}
