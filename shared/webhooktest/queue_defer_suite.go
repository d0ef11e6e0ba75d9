package webhooktest

import (
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// testDefer checks Consumer.Defer on a queue that dead-letters after 2
// attempts: a job deferred again and again keeps its attempt number, comes
// back after the delay (not the visibility timeout), and is never
// dead-lettered for it; its attempts still count once retried.
func testDefer(t *testing.T, q Queue) {
	const delay = time.Second
	job := SampleJob("h1", webhook.UserCreated, 1)
	send(t, q, job)
	m := receiveN(t, q, 1)[0]
	for i := range 3 { // more deferrals than the queue allows attempts
		if err := q.Defer(t.Context(), m, delay); err != nil {
			t.Fatalf("Defer %d: %v", i+1, err)
		}
		deferred := time.Now()
		m = receiveN(t, q, 1)[0]
		if elapsed := time.Since(deferred); elapsed < delay-200*time.Millisecond || elapsed > 10*time.Second {
			t.Errorf("deferral %d: back after %v, want about %v (not the 30 s visibility timeout)", i+1, elapsed, delay)
		}
		if m.Attempt != 1 {
			t.Fatalf("after deferral %d: Attempt = %d, want 1 (a deferral is not an attempt)", i+1, m.Attempt)
		}
		checkJobs(t, "deferred", []webhook.Job{m.Job}, []webhook.Job{job})
	}
	if err := q.Retry(t.Context(), m, 0); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	m = receiveN(t, q, 1)[0]
	if m.Attempt != 2 {
		t.Errorf("after a retry: Attempt = %d, want 2", m.Attempt)
	}
	if dead := listDead(t, q, webhook.DeadFilter{}, 0); len(dead) != 0 {
		t.Errorf("%d jobs dead-lettered by deferrals; want none", len(dead))
	}
}

// testDeadLetterNow checks Consumer.DeadLetter: the job moves to the
// dead-letter queue at once, long before its attempts run out.
func testDeadLetterNow(t *testing.T, q Queue) {
	job := SampleJob("h1", webhook.UserCreated, 1)
	send(t, q, job)
	m := receiveN(t, q, 1)[0]
	if err := q.DeadLetter(t.Context(), m); err != nil {
		t.Fatalf("DeadLetter: %v", err)
	}
	receiveNone(t, q, time.Second, "after DeadLetter")
	checkJobs(t, "dead", listDead(t, q, webhook.DeadFilter{}, 0), []webhook.Job{job})
}
