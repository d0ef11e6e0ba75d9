// Package dynamo keeps hooks and the delivery log in DynamoDB, in the item layout of
// docs/architecture.md §6 that users may also write by hand:
//
//   - hooks table, partition key "id": one item per webhook.Hook, attributes named
//     as its dynamodbav tags (name, events, url, headers, signingKey, enabled, ...).
//   - deliveries table, partition key "hookId", sort key "sk" (createdAt in epoch
//     ms, zero-padded, then "#" delivery id "#" attempt, so items sort by time),
//     the webhook.LogEntry fields under their JSON names, and "expiresAt" (epoch
//     seconds) as the table's TTL attribute.
package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// API is the part of *dynamodb.Client the stores use.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ API = (*dynamodb.Client)(nil)
