package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SourceStore is a webhook.SourceStore on its own DynamoDB table keyed by
// "id" (template.yaml's SourcesTable). Sources are not items of the hooks
// table because every reader of that table scans it as hooks (the ingest
// cache, the CLI, hand-written items without a kind attribute), and because
// only the ingest function needs sources: its role alone reads the table.
type SourceStore struct {
	db    API
	table string
}

var _ webhook.SourceStore = (*SourceStore)(nil)

// NewSourceStore returns the store on table.
func NewSourceStore(db API, table string) *SourceStore {
	return &SourceStore{db: db, table: table}
}

// ListSources scans the table, newest first (ties by id).
func (s *SourceStore) ListSources(ctx context.Context) ([]webhook.Source, error) {
	p := dynamodb.NewScanPaginator(s.db, &dynamodb.ScanInput{TableName: &s.table, ConsistentRead: aws.Bool(true)})
	sources := []webhook.Source{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list sources: scan %s: %w", s.table, err)
		}
		for _, item := range page.Items {
			src, err := decodeSource(item)
			if err != nil {
				return nil, fmt.Errorf("list sources: %w", err)
			}
			sources = append(sources, src)
		}
	}
	slices.SortFunc(sources, func(a, b webhook.Source) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return sources, nil
}

// GetSource is one strongly consistent GetItem, so a key pasted with the CLI
// is used by the next relayed body.
func (s *SourceStore) GetSource(ctx context.Context, id string) (webhook.Source, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: hookKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, err)
	}
	if out.Item == nil {
		return webhook.Source{}, fmt.Errorf("get source %s: %w", id, webhook.ErrNotFound)
	}
	src, err := decodeSource(out.Item)
	if err != nil {
		return webhook.Source{}, fmt.Errorf("get source: %w", err)
	}
	return src, nil
}

// PutSource writes src with Version src.Version+1 in one PutItem conditional
// on the stored version, as HookStore.PutHook does; the old item returned on a
// failed condition tells a conflict from a deletion.
func (s *SourceStore) PutSource(ctx context.Context, src webhook.Source) error {
	if src.ID == "" {
		return fmt.Errorf("put source: %w", &webhook.FieldError{Record: -1, Field: "id", Reason: "is required"})
	}
	read := src.Version
	src.Version++
	item := encodeSource(src)
	cond, names := "#v = :v", map[string]string{"#v": "version"}
	if read == 0 {
		cond, names["#id"] = "attribute_not_exists(#id) OR attribute_not_exists(#v) OR #v = :v", "id"
	}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &s.table,
		Item:                                item,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           map[string]types.AttributeValue{":v": number(read)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		if len(ccf.Item) == 0 {
			return fmt.Errorf("put source %s at version %d: %w", src.ID, read, webhook.ErrNotFound)
		}
		return fmt.Errorf("put source %s at version %d: %w", src.ID, read, webhook.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("put source %s: %w", src.ID, err)
	}
	return nil
}

// DeleteSource deletes the source, or returns an error wrapping webhook.ErrNotFound.
func (s *SourceStore) DeleteSource(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                &s.table,
		Key:                      hookKey(id),
		ConditionExpression:      aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": "id"},
	})
	if err != nil {
		return fmt.Errorf("delete source %s: %w", id, notFound(err))
	}
	return nil
}
