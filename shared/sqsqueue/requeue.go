package sqsqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// How attempts are counted. SQS counts receives of a message
// (ApproximateReceiveCount) and cannot be told that a receive was not an
// attempt. A deferred job (held back by the delivery service's per-hook limit
// or circuit breaker, never POSTed) is therefore sent again as a new message
// carrying the attempts made so far in Job.Attempt, and the original is
// deleted: a job's attempt number is Job.Attempt + ApproximateReceiveCount
// (webhook.ReceiveAttempt).
// Retries still change the visibility of the same message (one call, no
// copy). Because a copy's receive count starts again at 1, SQS's redrive
// policy (maxReceiveCount) cannot see the job's whole history: the delivery
// service dead-letters a job that has used its attempts itself (SendDead), and
// the redrive policy remains for jobs whose worker dies on every receive.

// maxDelaySeconds is SQS's longest message delay (15 min).
const maxDelaySeconds = 900

// Requeue sends a copy of m's job, visible after delay (whole seconds rounded
// up, at most 15 min), with Attempt = m.Attempt - 1 so the copy's first receive
// is attempt m.Attempt again. It leaves the original alone: the caller deletes
// it (Defer, or the event source mapping once the handler reports it done).
// Cost: one SendMessage.
func (q *Queue) Requeue(ctx context.Context, m webhook.Message, delay time.Duration) error {
	j := m.Job
	j.Attempt = max(m.Attempt-1, 0)
	if err := q.sendOne(ctx, q.url, j, min(seconds(delay), maxDelaySeconds)); err != nil {
		return fmt.Errorf("requeue job %s: %w", m.Job.DeliveryID, err)
	}
	return nil
}

// SendDead sends a copy of m's job, with Attempt = m.Attempt (the attempts
// made), to the dead-letter queue; the caller deletes the original.
func (q *Queue) SendDead(ctx context.Context, m webhook.Message) error {
	if q.dlq == "" {
		return fmt.Errorf("dead-letter job %s: no dead-letter queue configured", m.Job.DeliveryID)
	}
	j := m.Job
	j.Attempt = m.Attempt
	if err := q.sendOne(ctx, q.dlq, j, 0); err != nil {
		return fmt.Errorf("dead-letter job %s: %w", m.Job.DeliveryID, err)
	}
	return nil
}

// Defer is Requeue followed by deleting the original (webhook.Consumer).
func (q *Queue) Defer(ctx context.Context, m webhook.Message, delay time.Duration) error {
	if err := q.Requeue(ctx, m, delay); err != nil {
		return err
	}
	return q.Ack(ctx, m)
}

// DeadLetter is SendDead followed by deleting the original (webhook.Consumer).
func (q *Queue) DeadLetter(ctx context.Context, m webhook.Message) error {
	if err := q.SendDead(ctx, m); err != nil {
		return err
	}
	return q.Ack(ctx, m)
}

func (q *Queue) sendOne(ctx context.Context, url string, j webhook.Job, delaySeconds int) error {
	b, err := webhook.EncodeJob(j)
	if err != nil {
		return err
	}
	body := string(b)
	_, err = q.api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body, DelaySeconds: int32(delaySeconds)})
	return err
}
