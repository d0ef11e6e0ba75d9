// Package awsconfig loads the AWS SDK configuration the functions, the CLI and the
// integration tests share, so that all of them honour the same environment
// (AWS_REGION, credentials, AWS_ENDPOINT_URL for emulators) and retry alike.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MaxAttempts is how often the SDK tries one API call. The SDK default (3) gives up
// quickly under SQS or DynamoDB throttling during a burst; 5 with the standard
// backoff still stays within a Lambda's timeout.
const MaxAttempts = 5

// Load returns the configuration from the standard environment.
// config.LoadDefaultConfig already honours AWS_ENDPOINT_URL (and the per-service
// AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB), which is how the tests point
// clients at moto. The retryer drops the client-side retry quota: with it, a burst of
// throttled calls makes the SDK refuse further retries ("retry quota exceeded"),
// turning a brief slowdown into failed deliveries. optFns are applied last.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.RateLimiter = ratelimit.None
			})
		}),
	}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}
