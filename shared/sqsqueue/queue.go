// Package sqsqueue is the delivery queue on Amazon SQS: batched sends, receive
// counts as attempt numbers, retries by changing a message's visibility, and a
// dead-letter queue (filled by SQS's redrive policy) that can be listed and
// redriven by hook or event.
package sqsqueue

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// API is the part of *sqs.Client the queue uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// MaxMessageBytes is the message size Send batches for: SQS's classic maximum,
// and the default of ingest.Limits.MaxJobBytes, which refuses larger jobs
// before anything is sent. (A queue may be created to take larger messages;
// Send then sends each such message alone.)
const MaxMessageBytes = 256 << 10

// SQS limits.
const (
	maxBatch         = 10
	maxBatchBytes    = MaxMessageBytes // total payload of one SendMessageBatch
	maxWaitSeconds   = 20
	maxVisibilitySec = 43200 // 12 h
)

// Queue is the delivery queue (queueURL) and its dead-letter queue (dlqURL). It is
// safe for concurrent use.
type Queue struct {
	api      API
	url, dlq string

	log            *slog.Logger
	sendAttempts   int
	sendBackoff    time.Duration
	sendInFlight   int
	scanVisibility time.Duration

	undecodable atomic.Int64
}

var (
	_ webhook.Sender      = (*Queue)(nil)
	_ webhook.Consumer    = (*Queue)(nil)
	_ webhook.DeadLetters = (*Queue)(nil)
)

// Option configures a Queue.
type Option func(*Queue)

// WithLogger sets where warnings go (messages that are not jobs); default
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(q *Queue) { q.log = l } }

// WithSendRetry sets how often Send tries entries that SQS rejected for a reason
// on its side (default 4 attempts), waiting backoff, doubled each time (default
// 100 ms), in between. Whole calls that fail are retried by the SDK's retryer.
func WithSendRetry(attempts int, backoff time.Duration) Option {
	return func(q *Queue) { q.sendAttempts, q.sendBackoff = max(attempts, 1), backoff }
}

// WithSendConcurrency sets how many SendMessageBatch calls one Send has in
// flight at most (default DefaultSendConcurrency).
func WithSendConcurrency(n int) Option {
	return func(q *Queue) { q.sendInFlight = max(n, 1) }
}

// WithScanVisibility sets how long ListDead and Redrive hide the dead-lettered
// messages they have looked at (default 60 s), so that one scan sees each message
// once. They release them when done; the time only matters if a scan dies.
func WithScanVisibility(d time.Duration) Option {
	return func(q *Queue) { q.scanVisibility = d }
}

// New returns the queue at queueURL with the dead-letter queue at dlqURL.
func New(api API, queueURL, dlqURL string, opts ...Option) *Queue {
	q := &Queue{api: api, url: queueURL, dlq: dlqURL, log: slog.Default(),
		sendAttempts: 4, sendBackoff: 100 * time.Millisecond, sendInFlight: DefaultSendConcurrency, scanVisibility: time.Minute}
	for _, o := range opts {
		o(q)
	}
	return q
}

// Undecodable returns how many received messages were not jobs and were skipped
// (they are never deleted: see Receive and ListDead).
func (q *Queue) Undecodable() int64 { return q.undecodable.Load() }

// Send queues the jobs with SendMessageBatch, 10 (or 256 KiB) per call and up
// to the send concurrency (WithSendConcurrency) calls in flight. Jobs are
// encoded batch by batch as the calls go out, so memory holds the batches in
// flight, not every job's body, however many jobs there are. Once a batch fails
// for good no further call starts; the error says how many jobs were not queued.
func (q *Queue) Send(ctx context.Context, jobs []webhook.Job) error {
	_, err := q.send(ctx, q.url, len(jobs), func(i int) (string, error) {
		b, err := webhook.EncodeJob(jobs[i])
		return string(b), err
	})
	return err
}

// Receive long-polls for up to n (1-10) messages for up to wait (at most 20 s, in
// whole seconds rounded up). A message whose body is not a job is skipped with a
// warning and left alone: SQS moves it to the dead-letter queue after
// maxReceiveCount receives, where someone can look at it.
func (q *Queue) Receive(ctx context.Context, n int, wait time.Duration) ([]webhook.Message, error) {
	out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &q.url,
		MaxNumberOfMessages:         int32(min(maxBatch, max(n, 1))),
		WaitTimeSeconds:             int32(min(maxWaitSeconds, seconds(wait))),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	msgs := make([]webhook.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		j, ok := q.decode(m, q.url)
		if !ok {
			continue
		}
		msgs = append(msgs, webhook.Message{Job: j, Receipt: aws.ToString(m.ReceiptHandle),
			Attempt: webhook.ReceiveAttempt(j, m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])})
	}
	return msgs, nil
}

func (q *Queue) decode(m types.Message, queue string) (webhook.Job, bool) {
	j, err := webhook.DecodeJob([]byte(aws.ToString(m.Body)))
	if err != nil {
		q.undecodable.Add(1)
		// The body may hold user data: log its size, not its content.
		q.log.Warn("sqsqueue: skipping a message that is not a delivery job",
			"queue", queue, "messageId", aws.ToString(m.MessageId), "bytes", len(aws.ToString(m.Body)), "error", err)
		return webhook.Job{}, false
	}
	return j, true
}

// Ack deletes the message.
func (q *Queue) Ack(ctx context.Context, m webhook.Message) error {
	if _, err := q.api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: &m.Receipt}); err != nil {
		return fmt.Errorf("ack job %s: %w", m.Job.DeliveryID, err)
	}
	return nil
}

// Retry makes the message visible again after delay, in whole seconds rounded up
// and at most 12 h (SQS's limit). The redrive policy dead-letters it once it has
// been received maxReceiveCount times, on the receive after that.
func (q *Queue) Retry(ctx context.Context, m webhook.Message, delay time.Duration) error {
	_, err := q.api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          &q.url,
		ReceiptHandle:     &m.Receipt,
		VisibilityTimeout: int32(min(maxVisibilitySec, seconds(delay))),
	})
	if err != nil {
		return fmt.Errorf("retry job %s in %v: %w", m.Job.DeliveryID, delay, err)
	}
	return nil
}

// seconds rounds d up to whole seconds, at least 0.
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(min(math.Ceil(d.Seconds()), math.MaxInt32))
}
