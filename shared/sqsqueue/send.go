package sqsqueue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// DefaultSendConcurrency is how many SendMessageBatch calls a Send has in
// flight by default. The ingest function's worst allowed request makes about
// 1,000 calls (ingest.Limits); one after another, at tens of milliseconds
// each, they would take most of its 29 s timeout, while 16 at a time take a
// few seconds and hold at most 16 batches of 256 KiB (plus the SDK's copies)
// in a 128 MB function.
const DefaultSendConcurrency = 16

// batch is one SendMessageBatch call's worth of bodies; idx[k] is the index of
// bodies[k] among everything being sent.
type batch struct {
	idx    []int
	bodies []string
}

// send sends n bodies to url, body(i) giving the i-th when its batch is formed,
// with up to q.sendInFlight calls in flight, and reports which were queued. The
// error, if any, says how many were not and why. After the first failure no
// new batch is formed: the caller fails anyway, and sending on would only add
// duplicates for the retry.
func (q *Queue) send(ctx context.Context, url string, n int, body func(i int) (string, error)) ([]bool, error) {
	sent := make([]bool, n) // each index is written by the one worker sending it
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	work := make(chan batch)
	var wg sync.WaitGroup
	for range min(q.sendInFlight, (n+maxBatch-1)/maxBatch) {
		wg.Go(func() {
			for b := range work {
				if err := q.sendBatch(ctx, url, b, sent); err != nil {
					fail(err)
				}
			}
		})
	}
	err := eachBatch(n, body, func(b batch) bool {
		if failed() {
			return false
		}
		work <- b
		return true
	})
	close(work)
	wg.Wait()
	if err != nil {
		fail(err)
	}
	notSent := 0
	for _, ok := range sent {
		if !ok {
			notSent++
		}
	}
	if notSent > 0 {
		return sent, fmt.Errorf("send: %d of %d jobs not queued: %w", notSent, n, firstErr)
	}
	return sent, nil
}

// eachBatch groups n bodies, in order, into SendMessageBatch calls of at most
// maxBatch bodies and maxBatchBytes, and passes each to yield until it returns
// false. A body too big for any batch goes alone, and SQS decides.
func eachBatch(n int, body func(i int) (string, error), yield func(batch) bool) error {
	var cur batch
	size := 0
	for i := range n {
		b, err := body(i)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		if len(cur.idx) == maxBatch || (len(cur.idx) > 0 && size+len(b) > maxBatchBytes) {
			if !yield(cur) {
				return nil
			}
			cur, size = batch{}, 0
		}
		cur.idx, cur.bodies = append(cur.idx, i), append(cur.bodies, b)
		size += len(b)
	}
	if len(cur.idx) > 0 {
		yield(cur)
	}
	return nil
}

// sendBatch sends one batch, retrying entries SQS failed on its side, and marks
// the bodies queued in sent; it returns an error only if one stays unqueued.
// Entry ids are positions in the batch.
func (q *Queue) sendBatch(ctx context.Context, url string, b batch, sent []bool) error {
	pending := make([]int, len(b.idx))
	for k := range pending {
		pending[k] = k
	}
	backoff := q.sendBackoff
	var lastErr error
	for attempt := 1; ; attempt++ {
		entries := make([]types.SendMessageBatchRequestEntry, len(pending))
		for e, k := range pending {
			entries[e] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(k)), MessageBody: &b.bodies[k]}
		}
		out, err := q.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil {
			return err // the SDK has retried the call already
		}
		for _, ok := range out.Successful {
			if k, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil && k >= 0 && k < len(b.idx) {
				sent[b.idx[k]] = true
			}
		}
		var retry []int
		for _, f := range out.Failed {
			lastErr = fmt.Errorf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
			k, err := strconv.Atoi(aws.ToString(f.Id))
			if err == nil && k >= 0 && k < len(b.idx) && !f.SenderFault {
				retry = append(retry, k)
			}
		}
		if len(retry) == 0 || attempt >= q.sendAttempts {
			for _, i := range b.idx {
				if !sent[i] {
					return lastErr
				}
			}
			return nil // entries that failed earlier were queued on a retry
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		pending, backoff = retry, 2*backoff
	}
}

// sendBodies sends bodies already encoded (Redrive's) to url; see send.
func (q *Queue) sendBodies(ctx context.Context, url string, bodies []string) ([]bool, error) {
	return q.send(ctx, url, len(bodies), func(i int) (string, error) { return bodies[i], nil })
}
