package awstest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/logto-webhooks/webhooks/shared/dynamo"
)

// Table is the key schema of one of template.yaml's tables, which the tests
// create on the emulator; template_test.go checks each against the template,
// so the two cannot drift apart.
type Table struct {
	// Resource is the table's logical id in template.yaml.
	Resource string
	// Keys are the partition key and, if any, the sort key; all strings.
	Keys []string
}

// Tables are the key schemas of template.yaml's tables.
var (
	HooksTable      = Table{Resource: "HooksTable", Keys: []string{"id"}}
	DeliveriesTable = Table{Resource: "DeliveriesTable", Keys: []string{"hookId", "sk"}}
	SourcesTable    = Table{Resource: "SourcesTable", Keys: []string{"id"}}
)

// input is the CreateTable call for t named name: on-demand billing, as the
// template declares every table.
func (t Table) input(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for i, k := range t.Keys {
		kind := types.KeyTypeHash
		if i > 0 {
			kind = types.KeyTypeRange
		}
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(k), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(k), KeyType: kind})
	}
	return in
}

// create creates t as name, leaving a table that already exists as it is,
// and waits until it is active.
func (t Table) create(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, t.input(name))
	if _, exists := errors.AsType[*types.ResourceInUseException](err); err != nil && !exists {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	return nil
}

// CreateTables creates the hooks and deliveries tables as template.yaml declares
// them (on-demand billing, TTL on expiresAt) on an emulator.
func CreateTables(ctx context.Context, client *dynamodb.Client, hooksTable, deliveriesTable string) error {
	if err := HooksTable.create(ctx, client, hooksTable); err != nil {
		return err
	}
	if err := DeliveriesTable.create(ctx, client, deliveriesTable); err != nil {
		return err
	}
	// Best effort: the call fails when TTL is already on (a table that existed),
	// and the log works without it, only grows.
	_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &deliveriesTable,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(dynamo.TTLAttribute), Enabled: aws.Bool(true)},
	})
	if ae, ok := errors.AsType[smithy.APIError](err); err != nil && (!ok || ae.ErrorCode() != "ValidationException") {
		return fmt.Errorf("enable TTL on %s: %w", deliveriesTable, err)
	}
	return nil
}

// CreateSourcesTable creates the sources table as template.yaml declares it on
// an emulator.
func CreateSourcesTable(ctx context.Context, client *dynamodb.Client, table string) error {
	return SourcesTable.create(ctx, client, table)
}
