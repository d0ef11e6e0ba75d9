package awstest_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/awsconfig/awstest"
)

func TestLoadRetries(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	cfg, err := awsconfig.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Retryer().MaxAttempts(); got != awsconfig.MaxAttempts {
		t.Errorf("retryer MaxAttempts = %d, want %d", got, awsconfig.MaxAttempts)
	}
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// TestCountCalls counts against a fake SQS endpoint on loopback whose first
// answer is a server error: the retried attempt counts too.
func TestCountCalls(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if requests.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"InternalError","message":"try again"}`))
			return
		}
		_, _ = w.Write([]byte(`{"QueueUrl":"http://127.0.0.1/q"}`))
	}))
	defer srv.Close()

	cfg, err := awsconfig.Load(t.Context(),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff, o.RateLimiter = noBackoff{}, ratelimit.None })
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	calls := awstest.CountCalls(&cfg)
	client := sqs.NewFromConfig(cfg)
	for range 2 {
		if _, err := client.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: aws.String("q")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.ListQueues(t.Context(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"SQS.GetQueueUrl": 3, "SQS.ListQueues": 1}
	if got := calls.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("Snapshot() = %v, want %v", got, want)
	}
	if got := calls.Total("SQS"); got != 4 {
		t.Errorf("Total(SQS) = %d, want 4", got)
	}
	if got := calls.Total("SQ"); got != 0 {
		t.Errorf("Total(SQ) = %d, want 0", got)
	}
}
