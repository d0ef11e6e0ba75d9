// Package awstest connects integration tests to the local AWS emulator that
// scripts/emulators.sh starts (moto), and never to AWS itself.
package awstest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
)

// The variables scripts/emulators.sh and scripts/test.sh set.
const (
	EndpointEnv = "WEBHOOKS_TEST_AWS_ENDPOINT"
	RequireEnv  = "WEBHOOKS_REQUIRE_EMULATORS"
)

// Config returns a configuration for the emulator named by WEBHOOKS_TEST_AWS_ENDPOINT.
// Without it the test is skipped, or fails when WEBHOOKS_REQUIRE_EMULATORS=1 (as
// `make test` sets, so CI cannot pass by skipping). The endpoint must be a loopback
// address and the credentials are fixed fakes, so a test can never reach or bill
// a real AWS account whatever the environment holds.
func Config(t testing.TB) aws.Config {
	t.Helper()
	cfg, err := Load(t.Context(), Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Load returns a configuration for the emulator at endpoint, refusing one that
// is not loopback, with fixed fake credentials; Config and the benchmarks use
// it, so neither can reach or bill a real AWS account.
func Load(ctx context.Context, endpoint string) (aws.Config, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s=%q: %w", EndpointEnv, endpoint, err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return aws.Config{}, fmt.Errorf("%s=%q is not a loopback address; tests only talk to local emulators", EndpointEnv, endpoint)
	}
	return awsconfig.Load(ctx,
		config.WithBaseEndpoint(endpoint),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	)
}

// Endpoint returns the emulator's endpoint, skipping the test or failing it as
// Config does when there is none. Call it at the top of a test that runs a
// contract suite, so the test skips once rather than in every subtest.
func Endpoint(t testing.TB) string {
	t.Helper()
	endpoint := os.Getenv(EndpointEnv)
	if endpoint == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s is not set but %s=1: start the emulators (source scripts/emulators.sh)", EndpointEnv, RequireEnv)
		}
		t.Skipf("integration test: set %s (source scripts/emulators.sh) to run it", EndpointEnv)
	}
	return endpoint
}

// Name returns prefix with a random suffix, a valid and unique SQS queue or
// DynamoDB table name, so tests sharing one emulator never see each other's data.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, rand.Text()[:10])
}
