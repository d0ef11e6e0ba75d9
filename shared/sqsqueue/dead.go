package sqsqueue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// deadMessage is a dead-lettered message held during a scan.
type deadMessage struct {
	job     webhook.Job
	receipt string
	deleted bool
}

// scanWaitSeconds is the long-poll wait of a scan: SQS's short polls sample only
// some servers and may come back empty while messages remain; a long poll returns
// as soon as any message is there, so only the last, empty receive waits.
const scanWaitSeconds = 1

// ListDead returns the dead-lettered jobs matching f (at most limit; 0: all). It
// peeks: each message is received, hidden while the scan runs, and made visible
// again at the end. Messages that are not jobs are skipped with a warning (see
// Undecodable) and stay. While a scan runs, another scan does not see the
// messages it holds.
func (q *Queue) ListDead(ctx context.Context, f webhook.DeadFilter, limit int) ([]webhook.Job, error) {
	var jobs []webhook.Job
	err := q.scanDead(ctx, func(batch []*deadMessage) (bool, error) {
		for _, m := range batch {
			if limit > 0 && len(jobs) >= limit {
				return true, nil
			}
			if f.Match(m.job) {
				jobs = append(jobs, m.job)
			}
		}
		return limit > 0 && len(jobs) >= limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	return jobs, nil
}

// Redrive sends the dead-lettered jobs matching f back to the delivery queue as
// new messages (so their receive count, the attempt number, starts again at 1),
// then deletes them from the dead-letter queue. A job is deleted only after it was
// queued; if the delete fails it is in both queues, which at-least-once delivery
// allows. Non-matching and undecodable messages stay.
func (q *Queue) Redrive(ctx context.Context, f webhook.DeadFilter, progress func(moved int)) (int, error) {
	moved := 0
	err := q.scanDead(ctx, func(batch []*deadMessage) (bool, error) {
		var match []*deadMessage
		var bodies []string
		for _, m := range batch {
			if !f.Match(m.job) {
				continue
			}
			j := m.job
			j.Attempt, j.QueuedAt = 0, time.Now().UnixMilli() // a fresh schedule
			b, err := webhook.EncodeJob(j)
			if err != nil {
				return true, err
			}
			match, bodies = append(match, m), append(bodies, string(b))
		}
		if len(match) == 0 {
			return false, nil
		}
		sent, sendErr := q.sendBodies(ctx, q.url, bodies)
		var entries []types.DeleteMessageBatchRequestEntry
		for k, m := range match {
			if sent[k] {
				entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), ReceiptHandle: &m.receipt})
			}
		}
		deleted, delErr := q.deleteDead(ctx, entries)
		for _, k := range deleted {
			match[k].deleted = true
			moved++
			if progress != nil {
				progress(moved)
			}
		}
		if err := errors.Join(sendErr, delErr); err != nil {
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return moved, fmt.Errorf("redrive: %d moved, then: %w", moved, err)
	}
	return moved, nil
}

// deleteDead deletes entries (at most 10) from the dead-letter queue and returns
// the ids that were deleted.
func (q *Queue) deleteDead(ctx context.Context, entries []types.DeleteMessageBatchRequestEntry) ([]int, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	out, err := q.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &q.dlq, Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("delete %d redriven jobs from the dead-letter queue (they are now queued twice): %w", len(entries), err)
	}
	var ids []int
	for _, ok := range out.Successful {
		if k, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil {
			ids = append(ids, k)
		}
	}
	if len(out.Failed) > 0 {
		f := out.Failed[0]
		return ids, fmt.Errorf("delete %d redriven jobs from the dead-letter queue (they are now queued twice): %s: %s",
			len(out.Failed), aws.ToString(f.Code), aws.ToString(f.Message))
	}
	return ids, nil
}

// scanDead receives every message of the dead-letter queue once, keeping each
// hidden until the end of the scan, and passes the jobs to visit batch by batch
// until visit says stop or a receive brings no message it has not seen. Then it
// makes every message that visit did not delete visible again, even if ctx is
// cancelled.
//
// A message seen before comes back only when the scan outlived the scan
// visibility; the scan then ends early rather than loop, and ListDead or Redrive
// can be run again for the rest (WithScanVisibility sets the time).
func (q *Queue) scanDead(ctx context.Context, visit func([]*deadMessage) (stop bool, err error)) (err error) {
	seen := map[string]bool{}
	var held []*deadMessage
	defer func() {
		err = errors.Join(err, q.release(context.WithoutCancel(ctx), held))
	}()
	for {
		out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            &q.dlq,
			MaxNumberOfMessages: maxBatch,
			WaitTimeSeconds:     scanWaitSeconds,
			VisibilityTimeout:   int32(min(maxVisibilitySec, max(seconds(q.scanVisibility), 1))),
		})
		if err != nil {
			return fmt.Errorf("receive from the dead-letter queue: %w", err)
		}
		var batch []*deadMessage
		fresh := false
		for _, m := range out.Messages {
			dm := &deadMessage{receipt: aws.ToString(m.ReceiptHandle)}
			held = append(held, dm)
			if seen[aws.ToString(m.MessageId)] {
				continue
			}
			seen[aws.ToString(m.MessageId)] = true
			fresh = true
			j, ok := q.decode(m, q.dlq)
			if !ok {
				continue
			}
			dm.job = j
			batch = append(batch, dm)
		}
		if !fresh {
			return nil
		}
		if len(batch) > 0 {
			if stop, err := visit(batch); err != nil || stop {
				return err
			}
		}
	}
}

// release makes the held messages that were not deleted visible again.
func (q *Queue) release(ctx context.Context, held []*deadMessage) error {
	var entries []types.ChangeMessageVisibilityBatchRequestEntry
	for _, m := range held {
		if !m.deleted {
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(len(entries))), ReceiptHandle: &m.receipt, VisibilityTimeout: 0,
			})
		}
	}
	failed := 0
	var firstErr error
	for len(entries) > 0 {
		n := min(maxBatch, len(entries))
		out, err := q.api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &q.dlq, Entries: entries[:n]})
		switch {
		case err != nil:
			failed += n
			firstErr = cmp.Or(firstErr, err)
		case len(out.Failed) > 0:
			failed += len(out.Failed)
			firstErr = cmp.Or(firstErr, fmt.Errorf("%s: %s", aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message)))
		}
		entries = entries[n:]
	}
	if failed > 0 {
		return fmt.Errorf("release %d dead-lettered messages (they reappear after %v): %w", failed, q.scanVisibility, firstErr)
	}
	return nil
}
