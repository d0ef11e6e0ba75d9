// Command ingestrss is the ingest Lambda's work in a process of its own, so
// that bench can read its peak memory (VmHWM) from the kernel: it hands one
// API Gateway request of -records "event" records, each padded by -pad bytes,
// to the real handler (ingest.Service.HandleLambda) with -hooks hooks
// subscribed, queueing through the SQS adapter and the AWS SDK to the SQS
// endpoint at -endpoint. It prints the deliveries made, how long the handler took and VmHWM.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/awsconfig"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

func main() {
	endpoint := flag.String("endpoint", "", "SQS endpoint (loopback)")
	records := flag.Int("records", 1, "records in the request")
	hooks := flag.Int("hooks", 1, "hooks subscribed to every record's event")
	pad := flag.Int("pad", 100, "padding bytes per record")
	flag.Parse()
	if err := run(*endpoint, *records, *hooks, *pad); err != nil {
		fmt.Fprintln(os.Stderr, "ingestrss:", err)
		os.Exit(1)
	}
	// As in rsschild: the child reports its own peak, which wait4 cannot.
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestrss:", err)
		os.Exit(1)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

func run(endpoint string, records, hooks, pad int) error {
	ctx := context.Background()
	cfg, err := awsconfig.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		return err
	}
	store := webhooktest.NewMemoryHookStore()
	for i := range hooks {
		h := webhook.Hook{ID: fmt.Sprintf("benchhook%012d", i), URL: "https://receiver.example/hook", Events: []webhook.Event{webhook.UserCreated},
			Enabled: true, SigningKey: "k2VbXcW3mH7pQ9sT1uY5zA8dF0gJ4lN6", CreatedAt: 1}
		if err := store.PutHook(ctx, h); err != nil {
			return err
		}
	}
	svc := ingest.New(ingest.Config{Hooks: store, Queue: sqsqueue.New(sqs.NewFromConfig(cfg), endpoint+"/000000000000/bench", "")})
	recs := make([]string, records)
	for i := range recs {
		recs[i] = fmt.Sprintf(`{"type":"event","id":"rec-%d","event":"User.Created","fields":{"data":{"pad":%q}}}`, i, strings.Repeat("x", pad))
	}
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/events", Body: `{"records":[` + strings.Join(recs, ",") + `]}`}
	req.RequestContext.HTTP.Method = "POST"
	raw, err := json.Marshal(req)
	if err != nil {
		return err
	}
	start := time.Now()
	out, err := svc.HandleLambda(ctx, raw)
	took := time.Since(start)
	if err != nil {
		return err
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok || resp.StatusCode != 202 {
		return fmt.Errorf("response %+v, want 202", out)
	}
	var body ingest.Response
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		return err
	}
	fmt.Printf("deliveries: %d\nrequest bytes: %d\ntook: %s\n", body.Deliveries, len(req.Body), took.Round(time.Millisecond))
	return nil
}
