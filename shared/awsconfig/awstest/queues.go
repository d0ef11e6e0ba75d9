package awstest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// dlqRetention keeps dead-lettered jobs as long as SQS allows (14 days), giving
// operators time to fix a receiver and redrive.
const dlqRetention = 14 * 24 * time.Hour

// CreateQueues creates the queue name and its dead-letter queue name+"-dlq" as
// template.yaml declares them, for tests and local setups against an emulator:
// messages received maxReceiveCount times move to the DLQ, and a received message
// stays hidden for visibility. Creating queues that exist with the same settings
// returns their URLs.
func CreateQueues(ctx context.Context, client *sqs.Client, name string, maxReceiveCount int, visibility time.Duration) (queueURL, dlqURL string, err error) {
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(name + "-dlq"),
		Attributes: map[string]string{string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(dlqRetention.Seconds()))},
	})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s-dlq: %w", name, err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       dlq.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("get ARN of queue %s-dlq: %w", name, err)
	}
	policy, err := json.Marshal(map[string]any{
		"deadLetterTargetArn": attrs.Attributes[string(types.QueueAttributeNameQueueArn)],
		"maxReceiveCount":     maxReceiveCount,
	})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: &name,
		Attributes: map[string]string{
			string(types.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(math.Ceil(visibility.Seconds()))),
			string(types.QueueAttributeNameRedrivePolicy):     string(policy),
		},
	})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return *q.QueueUrl, *dlq.QueueUrl, nil
}
