package embedded

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// A Send wakes a waiting Receive when it commits: the poll (an hour here)
// is only the fallback for jobs that become visible without a Send.
func TestSendWakesWaitingReceive(t *testing.T) {
	d, _ := openTemp(t, Options{PollInterval: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan []webhook.Message, 1)
	go func() {
		msgs, err := d.Receive(ctx, 10, time.Minute)
		if err != nil {
			t.Errorf("Receive: %v", err)
		}
		got <- msgs
	}()
	time.Sleep(50 * time.Millisecond) // let Receive find the queue empty and wait
	if err := d.Send(ctx, []webhook.Job{testJob("h1", webhook.UserCreated, 1)}); err != nil {
		t.Fatal(err)
	}
	if msgs := <-got; len(msgs) != 1 {
		t.Fatalf("Receive got %d messages, want the one sent while it waited", len(msgs))
	}
}

// Writes that wait together share a transaction; one that fails is run again
// alone and fails alone, and its neighbours commit.
func TestFailedWriteDoesNotFailItsBatch(t *testing.T) {
	d, _ := openTemp(t, Options{})
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			errs[i] = d.write(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`insert into hooks (id, created_at, doc) values (?, 0, '{}')`, i); err != nil {
					return err
				}
				if i%10 == 3 {
					return boom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if want := error(nil); i%10 == 3 {
			if !errors.Is(err, boom) {
				t.Errorf("write %d: %v, want boom", i, err)
			}
		} else if err != want {
			t.Errorf("write %d: %v, want nil", i, err)
		}
	}
	var n int
	if err := d.db.QueryRow(`select count(*) from hooks`).Scan(&n); err != nil || n != 36 {
		t.Fatalf("rows = %d, %v; want 36 (the 4 failed writes left nothing)", n, err)
	}
}

// A stale receipt in a batch fails only its own settle.
func TestStaleSettleBesideGoodOnes(t *testing.T) {
	d, _ := openTemp(t, Options{})
	ctx := context.Background()
	var jobs []webhook.Job
	for i := range 20 {
		jobs = append(jobs, testJob("h1", webhook.UserCreated, i))
	}
	if err := d.Send(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	msgs, err := d.Receive(ctx, 20, 0)
	if err != nil || len(msgs) != 20 {
		t.Fatalf("Receive = %d, %v", len(msgs), err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		if i%4 == 0 {
			m.Receipt = m.Receipt + "0" // a receive count it never had
		}
		wg.Go(func() { errs[i] = d.Defer(ctx, m, time.Hour) })
	}
	wg.Wait()
	for i, err := range errs {
		if stale := i%4 == 0; stale != errors.Is(err, webhook.ErrNotFound) || !stale && err != nil {
			t.Errorf("Defer %d (stale %t): %v", i, stale, err)
		}
	}
}
