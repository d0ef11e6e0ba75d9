package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// The hooks and sources tables hold versioned items keyed by "id" and are
// read and written alike; these are those reads and writes, once.

// scanItems decodes every item of table (strongly consistent).
func scanItems[T any](ctx context.Context, db API, table string, decode func(map[string]types.AttributeValue) (T, error)) ([]T, error) {
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	out := []T{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			v, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// getItem returns the item with id (strongly consistent), or an error
// wrapping webhook.ErrNotFound.
func getItem(ctx context.Context, db API, table, id string) (map[string]types.AttributeValue, error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: hookKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, webhook.ErrNotFound
	}
	return out.Item, nil
}

// putVersioned writes item, whose version is read+1, replacing every
// attribute, in one PutItem conditional on the stored version: created
// (nothing stored, or a hand-written item without a version) for read 0, the
// same version otherwise. A failed condition returns the old item, which tells
// a conflict (webhook.ErrConflict) from an item deleted in between
// (webhook.ErrNotFound) without a second read.
func putVersioned(ctx context.Context, db API, table string, item map[string]types.AttributeValue, read int64) error {
	cond, names := "#v = :v", map[string]string{"#v": "version"}
	if read == 0 {
		cond, names["#id"] = "attribute_not_exists(#id) OR attribute_not_exists(#v) OR #v = :v", "id"
	}
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &table,
		Item:                                item,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           map[string]types.AttributeValue{":v": number(read)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		if len(ccf.Item) == 0 {
			return webhook.ErrNotFound
		}
		return webhook.ErrConflict
	}
	return err
}

// deleteItem deletes the item with id, or returns an error wrapping
// webhook.ErrNotFound.
func deleteItem(ctx context.Context, db API, table, id string) error {
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                &table,
		Key:                      hookKey(id),
		ConditionExpression:      aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": "id"},
	})
	return notFound(err)
}
