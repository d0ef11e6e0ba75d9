// Package awsenv builds the AWS SDK configuration of the Lambda functions from
// their environment alone. The SDK's config.LoadDefaultConfig links and
// initialises every credential provider (SSO, STS, IMDS, login, process) and
// reads shared config files; a Lambda function needs none of them, since the
// runtime hands it region and credentials as environment variables, and that
// start-up work was most of the functions' cold start beyond an empty one.
// The CLI and the tests keep shared/awsconfig, which honours the whole chain
// and shares this package's retryer.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// MaxAttempts is how often the SDK tries one API call. The SDK default (3) gives up
// quickly under SQS or DynamoDB throttling during a burst; 5 with the standard
// backoff still stays within a Lambda's timeout.
const MaxAttempts = 5

// NewRetryer is the retryer every client of this project uses: MaxAttempts
// with the standard backoff and no client-side retry quota. With the quota, a
// burst of throttled calls makes the SDK refuse further retries ("retry quota
// exceeded"), turning a brief slowdown into failed deliveries.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.RateLimiter = ratelimit.None
	})
}

// Load returns the configuration the Lambda environment describes: the region
// from AWS_REGION (or AWS_DEFAULT_REGION), the credentials from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the
// endpoints from AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, which is how
// the functions' tests point them at moto. A missing region or credential is
// an error at start-up rather than a signing failure on the first call.
func Load(context.Context) (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	creds := aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "awsenv",
	}
	var missing []error
	if region == "" {
		missing = append(missing, errors.New("AWS_REGION (or AWS_DEFAULT_REGION) is not set"))
	}
	if creds.AccessKeyID == "" {
		missing = append(missing, errors.New("AWS_ACCESS_KEY_ID is not set"))
	}
	if creds.SecretAccessKey == "" {
		missing = append(missing, errors.New("AWS_SECRET_ACCESS_KEY is not set"))
	}
	if err := errors.Join(missing...); err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config from the environment: %w", err)
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   staticCredentials(creds),
		Retryer:       NewRetryer,
		ConfigSources: []any{serviceEndpoints{}},
	}
	if u := os.Getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = &u
	}
	return cfg, nil
}

// staticCredentials hands out the runtime's credentials, which stay valid for
// the life of the execution environment.
type staticCredentials aws.Credentials

func (c staticCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials(c), nil
}

// serviceEndpoints answers the SDK clients' lookup of a per-service endpoint
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, ...). The clients ask
// every aws.Config.ConfigSources entry with this method, so it takes the place
// of the lookup config.LoadDefaultConfig would have installed.
type serviceEndpoints struct{}

func (serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := os.Getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_")))
	return v, v != "", nil
}
