package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// TTLAttribute is the deliveries table's time-to-live attribute (epoch seconds).
const TTLAttribute = "expiresAt"

// CreateTables creates the hooks and deliveries tables as template.yaml declares
// them (on-demand billing, TTL on expiresAt), for tests and local setups against an
// emulator. Tables that already exist are left as they are; it waits until both
// are active.
func CreateTables(ctx context.Context, client *dynamodb.Client, hooksTable, deliveriesTable string) error {
	tables := []*dynamodb.CreateTableInput{{
		TableName:            &hooksTable,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}, {
		TableName:   &deliveriesTable,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("hookId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("hookId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	}}
	for _, in := range tables {
		_, err := client.CreateTable(ctx, in)
		if _, exists := errors.AsType[*types.ResourceInUseException](err); err != nil && !exists {
			return fmt.Errorf("create table %s: %w", *in.TableName, err)
		}
		if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 2*time.Minute); err != nil {
			return fmt.Errorf("wait for table %s: %w", *in.TableName, err)
		}
	}
	// Best effort: the call fails when TTL is already on (a table that existed),
	// and the log works without it, only grows.
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &deliveriesTable,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(TTLAttribute), Enabled: aws.Bool(true)},
	})
	if ae, ok := errors.AsType[smithy.APIError](err); err != nil && (!ok || ae.ErrorCode() != "ValidationException") {
		return fmt.Errorf("enable TTL on %s: %w", deliveriesTable, err)
	}
	return nil
}
