package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// HookStore is a webhook.HookStore on a DynamoDB table keyed by "id". Reads are
// strongly consistent, so a hook saved by the CLI is seen by the next command; the
// ingest service caches ListHooks, its only read, so the doubled read cost of a
// consistent scan stays small.
type HookStore struct {
	db    API
	table string
	now   func() time.Time
}

var _ webhook.HookStore = (*HookStore)(nil)

// NewHookStore returns the store on table.
func NewHookStore(db API, table string) *HookStore {
	return &HookStore{db: db, table: table, now: time.Now}
}

// ListHooks scans the whole table, newest first (ties by id). An item that does
// not decode as a hook fails the call, naming the item, rather than silently
// dropping a hook someone wrote by hand.
func (s *HookStore) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	hooks, err := scanItems(ctx, s.db, s.table, decodeHook)
	if err != nil {
		return nil, fmt.Errorf("list hooks: scan %s: %w", s.table, err)
	}
	slices.SortFunc(hooks, func(a, b webhook.Hook) int {
		return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return hooks, nil
}

// GetHook returns the hook with id or an error wrapping webhook.ErrNotFound.
func (s *HookStore) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	item, err := getItem(ctx, s.db, s.table, id)
	if err != nil {
		return webhook.Hook{}, fmt.Errorf("get hook %s: %w", id, err)
	}
	h, err := decodeHook(item)
	if err != nil {
		return webhook.Hook{}, fmt.Errorf("get hook: %w", err)
	}
	return h, nil
}

// PutHook writes h with Version h.Version+1 in one PutItem conditional on the
// stored version (putVersioned): ErrConflict if it changed, ErrNotFound if it
// was deleted since it was read.
func (s *HookStore) PutHook(ctx context.Context, h webhook.Hook) error {
	if h.ID == "" {
		return fmt.Errorf("put hook: %w", &webhook.FieldError{Record: -1, Field: "id", Reason: "is required"})
	}
	read := h.Version
	h.Version++
	if err := putVersioned(ctx, s.db, s.table, encodeHook(h), read); err != nil {
		return fmt.Errorf("put hook %s at version %d: %w", h.ID, read, err)
	}
	return nil
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// DeleteHook deletes the hook, or returns an error wrapping webhook.ErrNotFound.
func (s *HookStore) DeleteHook(ctx context.Context, id string) error {
	if err := deleteItem(ctx, s.db, s.table, id); err != nil {
		return fmt.Errorf("delete hook %s: %w", id, err)
	}
	return nil
}

// SetEnabled updates enabled, disabledReason (removed when reason is "") and
// updatedAt and adds 1 to version in one conditional UpdateItem, so concurrent
// edits of other fields are not lost, an edit based on the old version
// conflicts, and an unknown id is not created. ADD counts a missing version as 0.
func (s *HookStore) SetEnabled(ctx context.Context, id string, enabled bool, reason string) error {
	update := "SET #e = :e, #u = :u ADD #v :one REMOVE #r"
	values := map[string]types.AttributeValue{
		":e":   &types.AttributeValueMemberBOOL{Value: enabled},
		":u":   number(s.now().UnixMilli()),
		":one": number(1),
	}
	if reason != "" {
		update = "SET #e = :e, #u = :u, #r = :r ADD #v :one"
		values[":r"] = &types.AttributeValueMemberS{Value: reason}
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 hookKey(id),
		UpdateExpression:    &update,
		ConditionExpression: aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames: map[string]string{
			"#id": "id", "#e": "enabled", "#u": "updatedAt", "#r": "disabledReason", "#v": "version",
		},
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("set hook %s enabled=%v: %w", id, enabled, notFound(err))
	}
	return nil
}

// SetFailingSince sets failingSince (since > 0) only where the item has none, or
// removes it (since == 0) only where it has one, adding 1 to version, in one
// conditional UpdateItem: concurrent deliveries cannot move the first failure's
// time, and a no-op (the usual clear after a success) bumps no version. A failed
// condition returns the old item, which tells "nothing to change" (not an error)
// from "no such hook" (ErrNotFound) without a second read.
func (s *HookStore) SetFailingSince(ctx context.Context, id string, since int64) error {
	if since < 0 {
		return fmt.Errorf("set hook %s failing since %d: negative time", id, since)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                           &s.table,
		Key:                                 hookKey(id),
		UpdateExpression:                    aws.String("REMOVE #f ADD #v :one"),
		ConditionExpression:                 aws.String("attribute_exists(#id) AND attribute_exists(#f)"),
		ExpressionAttributeNames:            map[string]string{"#id": "id", "#f": "failingSince", "#v": "version"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":one": number(1)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if since > 0 {
		in.UpdateExpression = aws.String("SET #f = :f ADD #v :one")
		in.ConditionExpression = aws.String("attribute_exists(#id) AND attribute_not_exists(#f)")
		in.ExpressionAttributeValues[":f"] = number(since)
	}
	_, err := s.db.UpdateItem(ctx, in)
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok && len(ccf.Item) > 0 {
		return nil // the hook exists and already is as asked: the first failure wins
	}
	if err != nil {
		return fmt.Errorf("set hook %s failing since %d: %w", id, since, notFound(err))
	}
	return nil
}

func hookKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}
}

// notFound turns the failed attribute_exists condition into webhook.ErrNotFound.
func notFound(err error) error {
	if ccf, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return fmt.Errorf("%s: %w", ccf.ErrorCode(), webhook.ErrNotFound)
	}
	return err
}
