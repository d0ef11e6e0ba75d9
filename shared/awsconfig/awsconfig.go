// Package awsconfig loads the AWS SDK configuration the CLI and the integration
// tests share, so that both honour the same environment (AWS_REGION, the whole
// credential chain, AWS_ENDPOINT_URL for emulators) and retry alike. The Lambda
// functions use shared/awsenv instead, with the same retryer.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/logto-webhooks/webhooks/shared/awsenv"
)

// MaxAttempts is how often the SDK tries one API call (see awsenv.MaxAttempts).
const MaxAttempts = awsenv.MaxAttempts

// Load returns the configuration from the standard environment.
// config.LoadDefaultConfig already honours AWS_ENDPOINT_URL (and the per-service
// AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB), which is how the tests point
// clients at moto. The retryer is awsenv.NewRetryer, without the client-side
// retry quota. optFns are applied last.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{config.WithRetryer(awsenv.NewRetryer)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}
