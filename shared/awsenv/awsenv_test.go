package awsenv_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
	"github.com/logto-webhooks/webhooks/shared/awsenv"
)

// lambdaEnv sets the variables the Lambda runtime sets, and clears the ones a
// developer's shell may hold, so only what a test sets is seen.
func lambdaEnv(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "token")
}

func TestLoadReadsTheLambdaEnvironment(t *testing.T) {
	lambdaEnv(t)
	cfg, err := awsenv.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("region %q, want us-east-1", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "testing" || creds.SecretAccessKey != "testing" || creds.SessionToken != "token" {
		t.Errorf("credentials %+v", creds)
	}
	if got := cfg.Retryer().MaxAttempts(); got != awsconfig.MaxAttempts {
		t.Errorf("max attempts %d, want %d as the CLI", got, awsconfig.MaxAttempts)
	}
}

func TestLoadFallsBackToTheDefaultRegion(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-3")
	cfg, err := awsenv.Load(t.Context())
	if err != nil || cfg.Region != "eu-west-3" {
		t.Fatalf("region %q, error %v; want eu-west-3", cfg.Region, err)
	}
}

func TestLoadRefusesAnIncompleteEnvironment(t *testing.T) {
	for _, missing := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Run(missing, func(t *testing.T) {
			lambdaEnv(t)
			t.Setenv(missing, "")
			if _, err := awsenv.Load(t.Context()); err == nil || !strings.Contains(err.Error(), missing) {
				t.Fatalf("error %v, want one naming %s", err, missing)
			}
		})
	}
}

// The functions' tests point them at moto with AWS_ENDPOINT_URL; the
// per-service variables win over it, as the SDK documents for its own loader.
func TestLoadHonoursEndpointVariables(t *testing.T) {
	endpoint := awstest.Endpoint(t)
	lambdaEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	cfg, err := awsenv.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(t.Context(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("SQS through AWS_ENDPOINT_URL: %v", err)
	}

	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
	if cfg, err = awsenv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("DynamoDB through AWS_ENDPOINT_URL_DYNAMODB: %v", err)
	}
}
