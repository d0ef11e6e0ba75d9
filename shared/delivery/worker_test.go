package delivery_test

import (
	"context"
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
