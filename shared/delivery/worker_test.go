package delivery_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// TestWorkerLetsGoOfHangingAttempts runs a Worker with two slots beside a hook
// whose attempts hang: they must not keep the other hook's jobs waiting, as
// they would if each held its worker for its whole timeout.
func TestWorkerLetsGoOfHangingAttempts(t *testing.T) {
	quick := testHook
	quick.ID = "h2"
	f := newFixture(t, status(204), testHook, quick)
	release := make(chan struct{})
	var posted sync.WaitGroup
	posted.Add(2) // h1's first two attempts, its initial in-flight limit
	blocking := &blockingPoster{hold: "h1", release: release, posted: &posted}
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: blocking, Concurrency: 2})
	q := webhooktest.NewMemoryQueue(8, time.Minute)
	var jobs []webhook.Job
	for i := range 2 {
		jobs = append(jobs, messageFor("h1", i).Job)
	}
	if err := q.Send(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&delivery.Worker{Service: svc, Queue: q, Wait: 10 * time.Millisecond}).Run(ctx) }()
	defer func() {
		close(release)
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	posted.Wait() // both workers' attempts at h1 hang now

	jobs = jobs[:0]
	for i := range 20 {
		jobs = append(jobs, messageFor("h2", 100+i).Job)
	}
	if err := q.Send(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for blocking.count("h2") < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("h2 got %d of 20 POSTs while h1's attempts hung", blocking.count("h2"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingQueue counts the jobs a Worker holds: received and not yet settled.
type countingQueue struct {
	*webhooktest.MemoryQueue
	mu         sync.Mutex
	held, most int
}

func (c *countingQueue) Receive(ctx context.Context, n int, wait time.Duration) ([]webhook.Message, error) {
	msgs, err := c.MemoryQueue.Receive(ctx, n, wait)
	c.mu.Lock()
	c.held += len(msgs)
	c.most = max(c.most, c.held)
	c.mu.Unlock()
	return msgs, err
}

func (c *countingQueue) settled() {
	c.mu.Lock()
	c.held--
	c.mu.Unlock()
}

func (c *countingQueue) Ack(ctx context.Context, m webhook.Message) error {
	c.settled()
	return c.MemoryQueue.Ack(ctx, m)
}

func (c *countingQueue) max() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.most
}

// TestWorkerBoundsTheJobsInHand checks what a Worker holds when every
// receiver hangs: its slots' attempts, as many again let go of their slots
// (the second pool), and no more, however many jobs are queued; with the
// read-ahead, jobs waiting for a slot count in the same bound.
func TestWorkerBoundsTheJobsInHand(t *testing.T) {
	hanging := &lanePoster{delay: map[string]time.Duration{}, counts: map[string]int{}}
	var hooks []webhook.Hook
	var jobs []webhook.Job
	for i := range 12 {
		h := testHook
		h.ID, h.TimeoutMs = fmt.Sprintf("h%d", i), 1000
		hanging.delay[h.ID] = -1
		hooks = append(hooks, h)
		jobs = append(jobs, messageFor(h.ID, i).Job)
	}
	f := newFixture(t, status(204), hooks...)
	svc := delivery.NewService(delivery.Config{Hooks: f.hooks, Poster: hanging, Concurrency: 2})
	q := &countingQueue{MemoryQueue: webhooktest.NewMemoryQueue(8, time.Minute)}
	if err := q.Send(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&delivery.Worker{Service: svc, Queue: q, Wait: 10 * time.Millisecond}).Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for q.max() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // time for any receive beyond the bound
	got := q.max()
	stop()
	if err := <-done; err != nil { // once the hanging attempts time out
		t.Error(err)
	}
	if got != 4 {
		t.Errorf("the Worker held %d jobs at most with 2 slots and every receiver hanging; want 4", got)
	}
}
