package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// receiveOne receives exactly one message within wait or fails the test.
func receiveOne(t *testing.T, d *DB, wait time.Duration) webhook.Message {
	t.Helper()
	msgs, err := d.Receive(context.Background(), 10, wait)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(msgs) != 1 {
		t.Fatalf("Receive got %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func receiveNone(t *testing.T, d *DB) {
	t.Helper()
	msgs, err := d.Receive(context.Background(), 10, 0)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(msgs) != 0 {
		t.Fatalf("Receive got %d messages (attempt %d), want none", len(msgs), msgs[0].Attempt)
	}
}

func deadCount(t *testing.T, d *DB) int {
	t.Helper()
	dead, err := d.ListDead(context.Background(), webhook.DeadFilter{}, 0)
	if err != nil {
		t.Fatalf("ListDead: %v", err)
	}
	return len(dead)
}

func TestSendReceiveAck(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{})
	j := testJob("h1", webhook.UserCreated, 1)
	j.Attempt = 5 // Send must reset it
	if err := d.Send(ctx, []webhook.Job{j}); err != nil {
		t.Fatal(err)
	}
	m := receiveOne(t, d, 0)
	if m.Attempt != 1 {
		t.Errorf("Attempt = %d, want 1", m.Attempt)
	}
	if m.Job.DeliveryID != j.DeliveryID || string(m.Job.Payload) != string(j.Payload) || m.Job.Attempt != 0 {
		t.Errorf("Job = %+v, want %+v with Attempt 0", m.Job, j)
	}
	receiveNone(t, d) // hidden by the visibility timeout
	if err := d.Ack(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(ctx, m); err != nil {
		t.Errorf("second Ack: %v, want nil", err)
	}
	if err := d.Ack(ctx, webhook.Message{Receipt: "garbage"}); err == nil {
		t.Error("Ack with invalid receipt: nil error, want one")
	}
}

func TestRetryCountsAttemptsThenDeadLetters(t *testing.T) {
	ctx := context.Background()
	const maxAttempts = 3
	d, _ := openTemp(t, Options{MaxAttempts: maxAttempts})
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)}); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= maxAttempts; want++ {
		m := receiveOne(t, d, time.Second)
		if m.Attempt != want {
			t.Fatalf("attempt: got %d, want %d", m.Attempt, want)
		}
		if err := d.Retry(ctx, m, 0); err != nil {
			t.Fatal(err)
		}
	}
	receiveNone(t, d)
	dead, err := d.ListDead(ctx, webhook.DeadFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Attempt != maxAttempts {
		t.Fatalf("dead jobs = %+v, want one with Attempt %d", dead, maxAttempts)
	}
}

func TestDeadLetter(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{MaxAttempts: 5})
	j := testJob("h1", webhook.UserCreated, 1)
	if err := d.Send(ctx, []webhook.Job{j, testJob("h1", webhook.UserCreated, 2)}); err != nil {
		t.Fatal(err)
	}
	msgs, err := d.Receive(ctx, 10, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Receive = %d, %v; want 2", len(msgs), err)
	}
	m := msgs[0]
	if err := d.DeadLetter(ctx, m); err != nil {
		t.Fatal(err)
	}
	dead, err := d.ListDead(ctx, webhook.DeadFilter{}, 0)
	if err != nil || len(dead) != 1 || dead[0].DeliveryID != m.Job.DeliveryID || dead[0].Attempt != 1 {
		t.Fatalf("ListDead = %+v, %v; want job %s with Attempt 1", dead, err, m.Job.DeliveryID)
	}
	if err := d.Ack(ctx, msgs[1]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	receiveNone(t, d)
}

func TestRetryDelay(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{PollInterval: 10 * time.Millisecond})
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)}); err != nil {
		t.Fatal(err)
	}
	m := receiveOne(t, d, 0)
	const delay = 300 * time.Millisecond
	start := time.Now()
	if err := d.Retry(ctx, m, delay); err != nil {
		t.Fatal(err)
	}
	receiveNone(t, d)
	m2 := receiveOne(t, d, 5*time.Second)
	if got := time.Since(start); got < delay-10*time.Millisecond {
		t.Errorf("redelivered after %v, want at least %v", got, delay)
	}
	if m2.Attempt != 2 || m2.Job.Attempt != 1 {
		t.Errorf("after retry: Attempt %d, Job.Attempt %d; want 2, 1", m2.Attempt, m2.Job.Attempt)
	}
}

func TestStaleReceiptRetryIsNoOp(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{Visibility: 100 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)}); err != nil {
		t.Fatal(err)
	}
	stale := receiveOne(t, d, 0)
	fresh := receiveOne(t, d, 2*time.Second) // after the visibility timeout
	if err := d.Retry(ctx, stale, 0); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("Retry with a stale receipt: error = %v, want ErrNotFound", err)
	}
	if err := d.DeadLetter(ctx, stale); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("DeadLetter with a stale receipt: error = %v, want ErrNotFound", err)
	}
	receiveNone(t, d) // the stale retry must not have made it visible
	if got := deadCount(t, d); got != 0 {
		t.Fatalf("dead jobs after stale DeadLetter = %d, want 0", got)
	}
	if err := d.Ack(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	receiveNone(t, d)
}

// A worker that dies after Receive leaves the job hidden; after the visibility
// timeout a new process gets it again, and the crash counted as an attempt.
func TestCrashRedeliveryCountsAttempts(t *testing.T) {
	ctx := context.Background()
	opts := Options{MaxAttempts: 3, Visibility: 150 * time.Millisecond, PollInterval: 10 * time.Millisecond}
	d, path := openTemp(t, opts)
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)}); err != nil {
		t.Fatal(err)
	}
	if m := receiveOne(t, d, 0); m.Attempt != 1 {
		t.Fatalf("first attempt = %d, want 1", m.Attempt)
	}
	if err := d.Close(); err != nil { // the crash: no Ack, no Retry
		t.Fatal(err)
	}

	d = reopen(t, path, opts)
	receiveNone(t, d)
	m := receiveOne(t, d, 2*time.Second)
	if m.Attempt != 2 {
		t.Fatalf("attempt after crash = %d, want 2", m.Attempt)
	}
	if err := d.Retry(ctx, m, 0); err != nil {
		t.Fatal(err)
	}
	if m = receiveOne(t, d, time.Second); m.Attempt != 3 {
		t.Fatalf("attempt after retry = %d, want 3", m.Attempt)
	}
	// Crash again on the last attempt: the next receive dead-letters the job.
	time.Sleep(200 * time.Millisecond)
	receiveNone(t, d)
	if got := deadCount(t, d); got != 1 {
		t.Fatalf("dead jobs = %d, want 1", got)
	}
}

func TestConcurrentReceiversGetDistinctMessages(t *testing.T) {
	ctx := context.Background()
	const n, workers = 200, 4
	d, path := openTemp(t, Options{PollInterval: 5 * time.Millisecond})
	d2 := reopen(t, path, Options{PollInterval: 5 * time.Millisecond}) // a second handle, like a second process
	jobs := make([]webhook.Job, n)
	for i := range jobs {
		jobs[i] = testJob("h1", webhook.UserCreated, i)
	}
	if err := d.Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		db := []*DB{d, d2}[w%2]
		wg.Go(func() {
			for {
				msgs, err := db.Receive(ctx, 3, 0)
				if err != nil {
					errs <- err
					return
				}
				if len(msgs) == 0 {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					seen[m.Job.DeliveryID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("received %d distinct jobs, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %s received %d times, want 1", id, c)
		}
	}
}

func TestReceiveWait(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{PollInterval: 10 * time.Millisecond})

	start := time.Now()
	receiveNoneWithin := func(wait time.Duration) {
		t.Helper()
		msgs, err := d.Receive(ctx, 10, wait)
		if err != nil || len(msgs) != 0 {
			t.Fatalf("Receive on empty queue = %d messages, %v; want none", len(msgs), err)
		}
	}
	receiveNoneWithin(100 * time.Millisecond)
	if got := time.Since(start); got < 100*time.Millisecond || got > time.Second {
		t.Errorf("empty Receive returned after %v, want about 100ms", got)
	}

	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)})
	}()
	start = time.Now()
	receiveOne(t, d, 5*time.Second)
	if got := time.Since(start); got > 2*time.Second {
		t.Errorf("Receive returned %v after the send, want promptly", got)
	}

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := d.Receive(cctx, 1, 5*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive with ending ctx: err = %v, want DeadlineExceeded", err)
	}
}

func TestRedrive(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{MaxAttempts: 1})
	var jobs []webhook.Job
	for i := range 5 {
		hook := "h1"
		if i%2 == 1 {
			hook = "h2"
		}
		jobs = append(jobs, testJob(hook, webhook.UserCreated, i))
	}
	if err := d.Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	msgs, err := d.Receive(ctx, 10, 0)
	if err != nil || len(msgs) != 5 {
		t.Fatalf("Receive = %d, %v; want 5", len(msgs), err)
	}
	for _, m := range msgs {
		if err := d.Retry(ctx, m, 0); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		filter webhook.DeadFilter
		want   int
		left   int
	}{
		{name: "no match", filter: webhook.DeadFilter{Event: webhook.RoleCreated}, want: 0, left: 5},
		{name: "one hook", filter: webhook.DeadFilter{HookID: "h2"}, want: 2, left: 3},
		{name: "the rest", filter: webhook.DeadFilter{}, want: 3, left: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listed, err := d.ListDead(ctx, tt.filter, 0)
			if err != nil || len(listed) != tt.want {
				t.Fatalf("ListDead = %d, %v; want %d", len(listed), err, tt.want)
			}
			var calls []int
			moved, err := d.Redrive(ctx, tt.filter, func(n int) { calls = append(calls, n) })
			if err != nil || moved != tt.want {
				t.Fatalf("Redrive = %d, %v; want %d", moved, err, tt.want)
			}
			if len(calls) != tt.want || (len(calls) > 0 && calls[len(calls)-1] != tt.want) {
				t.Errorf("progress calls = %v, want 1..%d", calls, tt.want)
			}
			if got := deadCount(t, d); got != tt.left {
				t.Errorf("dead jobs left = %d, want %d", got, tt.left)
			}
			msgs, err := d.Receive(ctx, 10, 0)
			if err != nil || len(msgs) != tt.want {
				t.Fatalf("Receive after redrive = %d, %v; want %d", len(msgs), err, tt.want)
			}
			for _, m := range msgs {
				if m.Attempt != 1 {
					t.Errorf("redriven job attempt = %d, want 1", m.Attempt)
				}
				if tt.filter.HookID != "" && m.Job.HookID != tt.filter.HookID {
					t.Errorf("redriven job of hook %s, want %s", m.Job.HookID, tt.filter.HookID)
				}
				if err := d.Ack(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestListDeadLimit(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t, Options{MaxAttempts: 1})
	var jobs []webhook.Job
	for i := range 4 {
		jobs = append(jobs, testJob("h1", webhook.UserCreated, i))
	}
	if err := d.Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	msgs, _ := d.Receive(ctx, 10, 0)
	for _, m := range msgs {
		if err := d.Retry(ctx, m, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{0, 1, 3, 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			got, err := d.ListDead(ctx, webhook.DeadFilter{}, limit)
			want := 4
			if limit > 0 {
				want = min(limit, 4)
			}
			if err != nil || len(got) != want {
				t.Errorf("ListDead(limit %d) = %d, %v; want %d", limit, len(got), err, want)
			}
		})
	}
}

// Send of many jobs must be one transaction: one commit, not one per job. Each
// commit appends at least one page to the WAL file, so 1,000 commits would grow
// it by at least 1,000 pages (SQLite checkpoints at 1,000 but does not shrink
// the file); one commit of 1,000 small jobs writes about a tenth of that.
func TestSendManyIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	d, path := openTemp(t, Options{})
	const n = 1000
	jobs := make([]webhook.Job, n)
	for i := range jobs {
		jobs[i] = testJob("h1", webhook.UserCreated, i)
	}
	walSize := func() int64 {
		t.Helper()
		st, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	var pageSize int64
	if err := d.db.QueryRow(`pragma page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	before := walSize()
	start := time.Now()
	if err := d.Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got > 3*time.Second {
		t.Errorf("Send of %d jobs took %v, want well under 3s", n, got)
	}
	if pages := (walSize() - before) / pageSize; pages > n/2 {
		t.Errorf("Send of %d jobs grew the WAL by %d pages, want one transaction (< %d)", n, pages, n/2)
	}
	var queued int
	if err := d.db.QueryRow(`select count(*) from goqite where queue = ?`, queueName).Scan(&queued); err != nil || queued != n {
		t.Errorf("queued rows = %d, %v; want %d", queued, err, n)
	}
}
