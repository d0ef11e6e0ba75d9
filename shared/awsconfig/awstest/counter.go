package awstest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// CallCounter counts the requests AWS clients send, per service and operation. It
// exists to measure cost drivers such as "SQS requests per delivered job" in tests
// and benchmarks. It is safe for concurrent use.
type CallCounter struct {
	mu     sync.Mutex
	counts map[string]*atomic.Int64
}

// CountCalls installs a counter on cfg: every client created from cfg afterwards
// counts its requests. A request is counted each time it is sent, so an attempt the
// SDK retries counts again, as AWS bills it.
func CountCalls(cfg *aws.Config) *CallCounter {
	c := &CallCounter{counts: map[string]*atomic.Int64{}}
	cfg.APIOptions = append(cfg.APIOptions, func(s *middleware.Stack) error {
		// Finalize runs inside the retry loop, once per attempt.
		return s.Finalize.Add(c, middleware.After)
	})
	return c
}

// ID names the middleware in the SDK stack.
func (c *CallCounter) ID() string { return "webhooks.CallCounter" }

// HandleFinalize counts the request and passes it on.
func (c *CallCounter) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	c.counter(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)).Add(1)
	return next.HandleFinalize(ctx, in)
}

func (c *CallCounter) counter(key string) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.counts[key]
	if !ok {
		n = new(atomic.Int64)
		c.counts[key] = n
	}
	return n
}

// Snapshot returns the counts so far, keyed "Service.Operation" with the SDK's
// service id, e.g. "SQS.SendMessageBatch" or "DynamoDB.Scan".
func (c *CallCounter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, n := range c.counts {
		out[k] = n.Load()
	}
	return out
}

// Total returns the number of requests to service (an SDK service id such as
// "SQS"), over all operations.
func (c *CallCounter) Total(service string) int64 {
	var total int64
	for k, n := range c.Snapshot() {
		if strings.HasPrefix(k, service+".") {
			total += n
		}
	}
	return total
}
