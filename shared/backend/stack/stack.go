// Package stack reads a deployed stack's outputs, the names of its tables and
// queues, for backend.AWS. It is apart from package backend so that the Lambda
// functions, which get those names from their environment, do not link the
// CloudFormation client.
package stack

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/logto-webhooks/webhooks/shared/backend"
)

// outAliases are older spellings of output keys, accepted as well.
var outAliases = map[string]string{backend.OutDLQURL: "DeliveryDlqUrl"}

// Outputs returns the stack's outputs by key, aliases included.
func Outputs(ctx context.Context, cfg aws.Config, name string) (map[string]string, error) {
	resp, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil {
		return nil, fmt.Errorf("read outputs of stack %s: %w", name, err)
	}
	if len(resp.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s not found", name)
	}
	out := map[string]string{}
	for _, o := range resp.Stacks[0].Outputs {
		if o.OutputKey != nil && o.OutputValue != nil {
			out[*o.OutputKey] = *o.OutputValue
		}
	}
	for key, alias := range outAliases {
		if out[key] == "" {
			out[key] = out[alias]
		}
	}
	return out, nil
}
