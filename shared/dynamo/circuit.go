package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SetCircuit sets circuitOpenUntil and circuitReason (openUntil > 0) or removes
// both (openUntil == 0) in one conditional UpdateItem, so concurrent edits of
// other fields are not lost and an unknown id is not created.
func (s *HookStore) SetCircuit(ctx context.Context, id string, openUntil int64, reason string) error {
	if openUntil < 0 {
		return fmt.Errorf("set hook %s circuit until %d: negative time", id, openUntil)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      hookKey(id),
		UpdateExpression:         aws.String("REMOVE #o, #r"),
		ConditionExpression:      aws.String("attribute_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": "id", "#o": "circuitOpenUntil", "#r": "circuitReason"},
	}
	if openUntil > 0 {
		in.UpdateExpression = aws.String("SET #o = :o, #r = :r")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":o": &types.AttributeValueMemberN{Value: fmt.Sprint(openUntil)},
			":r": &types.AttributeValueMemberS{Value: reason},
		}
	}
	if _, err := s.db.UpdateItem(ctx, in); err != nil {
		return fmt.Errorf("set hook %s circuit: %w", id, notFound(err))
	}
	return nil
}
