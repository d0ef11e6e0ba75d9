package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SetCircuit sets circuitOpenUntil and circuitReason (openUntil > 0) or removes
// both (openUntil == 0) and adds 1 to version in one conditional UpdateItem, so
// concurrent edits of other fields are not lost, an edit based on the old
// version conflicts instead of undoing the breaker, and an unknown id is not
// created.
func (s *HookStore) SetCircuit(ctx context.Context, id string, openUntil int64, reason string) error {
	if openUntil < 0 {
		return fmt.Errorf("set hook %s circuit until %d: negative time", id, openUntil)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       hookKey(id),
		UpdateExpression:          aws.String("REMOVE #o, #r ADD #v :one"),
		ConditionExpression:       aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames:  map[string]string{"#id": "id", "#o": "circuitOpenUntil", "#r": "circuitReason", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": number(1)},
	}
	if openUntil > 0 {
		in.UpdateExpression = aws.String("SET #o = :o, #r = :r ADD #v :one")
		in.ExpressionAttributeValues[":o"] = number(openUntil)
		in.ExpressionAttributeValues[":r"] = &types.AttributeValueMemberS{Value: reason}
	}
	if _, err := s.db.UpdateItem(ctx, in); err != nil {
		return fmt.Errorf("set hook %s circuit: %w", id, notFound(err))
	}
	return nil
}
