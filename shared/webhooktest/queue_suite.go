package webhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Queue is everything a queue backend offers; the contract suite tests it whole.
type Queue interface {
	webhook.Sender
	webhook.Consumer
	webhook.DeadLetters
}

// TestQueue runs the queue contract against the queues newQueue returns: a fresh,
// empty queue (and dead-letter queue) whose messages go to the dead-letter queue
// after maxAttempts receives and stay hidden for visibility after each receive.
//
// Timings are in whole seconds because SQS counts in seconds. Jobs are compared
// without Job.Attempt, which is the embedded backend's bookkeeping; what callers
// see of attempts is Message.Attempt.
func TestQueue(t *testing.T, newQueue func(t *testing.T, maxAttempts int, visibility time.Duration) Queue) {
	t.Run("SendReceive", func(t *testing.T) {
		q := newQueue(t, 3, 20*time.Second)
		var jobs []webhook.Job
		for i := range 25 { // more than one SQS batch of 10
			jobs = append(jobs, SampleJob(fmt.Sprintf("hook%d", i%3), webhook.UserCreated, i))
		}
		send(t, q, jobs...)
		msgs := receiveN(t, q, len(jobs))
		for _, m := range msgs {
			if m.Attempt != 1 {
				t.Errorf("job %s: Attempt = %d, want 1", m.Job.DeliveryID, m.Attempt)
			}
			if m.Receipt == "" {
				t.Errorf("job %s: empty Receipt", m.Job.DeliveryID)
			}
		}
		checkJobs(t, "received", jobsOf(msgs), jobs)
		for _, m := range msgs {
			if got, want := m.Job.Payload, jobs[indexOf(jobs, m.Job.DeliveryID)].Payload; !bytes.Equal(got, want) {
				t.Errorf("job %s: payload bytes changed in transit\n got %s\nwant %s", m.Job.DeliveryID, got, want)
			}
		}
	})
	t.Run("Visibility", func(t *testing.T) {
		const visibility = 2 * time.Second
		q := newQueue(t, 3, visibility)
		send(t, q, SampleJob("h1", webhook.UserCreated, 1))
		first := receiveN(t, q, 1)[0]
		received := time.Now()
		receiveNone(t, q, 0, "while invisible")
		again := receiveN(t, q, 1)[0]
		if elapsed := time.Since(received); elapsed < visibility-500*time.Millisecond {
			t.Errorf("message came back after %v, before the visibility timeout of %v", elapsed, visibility)
		}
		if again.Attempt != 2 || again.Receipt == first.Receipt {
			t.Errorf("second receive: Attempt %d, receipt reused %v; want 2, false", again.Attempt, again.Receipt == first.Receipt)
		}
		checkJobs(t, "received again", []webhook.Job{again.Job}, []webhook.Job{first.Job})
	})
	t.Run("Ack", func(t *testing.T) {
		const visibility = time.Second
		q := newQueue(t, 3, visibility)
		send(t, q, SampleJob("h1", webhook.UserCreated, 1), SampleJob("h1", webhook.UserCreated, 2))
		msgs := receiveN(t, q, 2)
		if err := q.Ack(t.Context(), msgs[0]); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		// Waiting past the visibility timeout brings back only the other one.
		again := receiveN(t, q, 1)
		if again[0].Job.DeliveryID != msgs[1].Job.DeliveryID {
			t.Errorf("after Ack, received %s; want only %s", again[0].Job.DeliveryID, msgs[1].Job.DeliveryID)
		}
		if err := q.Ack(t.Context(), again[0]); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		receiveNone(t, q, visibility+time.Second, "after acking everything")
	})
	t.Run("RetryDelay", func(t *testing.T) {
		const delay = 2 * time.Second
		q := newQueue(t, 3, 30*time.Second)
		send(t, q, SampleJob("h1", webhook.UserCreated, 1))
		m := receiveN(t, q, 1)[0]
		if err := q.Retry(t.Context(), m, delay); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		retried := time.Now()
		receiveNone(t, q, 0, "during the retry delay")
		again := receiveN(t, q, 1)[0]
		if elapsed := time.Since(retried); elapsed < delay-200*time.Millisecond || elapsed > 10*time.Second {
			t.Errorf("retried message came back after %v, want about %v (not the 30 s visibility timeout)", elapsed, delay)
		}
		if again.Attempt != 2 {
			t.Errorf("after Retry: Attempt = %d, want 2", again.Attempt)
		}
	})
	t.Run("Defer", func(t *testing.T) { testDefer(t, newQueue(t, 2, 30*time.Second)) })
	t.Run("DeadLetterNow", func(t *testing.T) { testDeadLetterNow(t, newQueue(t, 5, 30*time.Second)) })
	t.Run("DeadLetter", func(t *testing.T) {
		q := newQueue(t, 2, 30*time.Second)
		job := SampleJob("h1", webhook.UserCreated, 1)
		send(t, q, job)
		for attempt := 1; attempt <= 2; attempt++ {
			m := receiveN(t, q, 1)[0]
			if m.Attempt != attempt {
				t.Fatalf("receive %d: Attempt = %d", attempt, m.Attempt)
			}
			if err := q.Retry(t.Context(), m, 0); err != nil {
				t.Fatalf("Retry after attempt %d: %v", attempt, err)
			}
		}
		receiveNone(t, q, time.Second, "after the last attempt")
		checkJobs(t, "dead", listDead(t, q, webhook.DeadFilter{}, 0), []webhook.Job{job})
	})
	dead := []webhook.Job{
		SampleJob("hA", webhook.UserCreated, 1),
		SampleJob("hA", webhook.RoleCreated, 2),
		SampleJob("hB", webhook.UserCreated, 3),
		SampleJob("hB", webhook.RoleDeleted, 4),
	}
	t.Run("ListDead", func(t *testing.T) {
		q := newQueue(t, 1, 30*time.Second)
		deadLetter(t, q, dead...)
		tests := []struct {
			name  string
			f     webhook.DeadFilter
			limit int
			want  []webhook.Job
		}{
			{"all", webhook.DeadFilter{}, 0, dead},
			{"hook", webhook.DeadFilter{HookID: "hA"}, 0, dead[:2]},
			{"event", webhook.DeadFilter{Event: webhook.UserCreated}, 0, []webhook.Job{dead[0], dead[2]}},
			{"hook and event", webhook.DeadFilter{HookID: "hB", Event: webhook.UserCreated}, 0, dead[2:3]},
			{"no match", webhook.DeadFilter{HookID: "hC"}, 0, nil},
			{"one delivery", webhook.DeadFilter{DeliveryID: dead[1].DeliveryID}, 0, dead[1:2]},
			{"all again", webhook.DeadFilter{}, 0, dead}, // listing leaves the jobs in place
		}
		for _, tt := range tests {
			checkJobs(t, tt.name, listDead(t, q, tt.f, tt.limit), tt.want)
		}
		if got := listDead(t, q, webhook.DeadFilter{}, 3); len(got) != 3 {
			t.Errorf("ListDead with limit 3 returned %d jobs", len(got))
		}
		if got := listDead(t, q, webhook.DeadFilter{HookID: "hB"}, 1); len(got) != 1 || got[0].HookID != "hB" {
			t.Errorf("ListDead(hook hB, limit 1) = %v, want one job of hB", got)
		}
		receiveNone(t, q, 0, "after listing the dead-letter queue")
	})
	t.Run("Redrive", func(t *testing.T) {
		q := newQueue(t, 1, 30*time.Second)
		deadLetter(t, q, dead...)
		redrive := func(f webhook.DeadFilter, want int) {
			t.Helper()
			var calls []int
			n, err := q.Redrive(t.Context(), f, func(moved int) { calls = append(calls, moved) })
			if err != nil {
				t.Fatalf("Redrive(%+v): %v", f, err)
			}
			var wantCalls []int
			for i := range want {
				wantCalls = append(wantCalls, i+1)
			}
			if n != want || !reflect.DeepEqual(calls, wantCalls) {
				t.Errorf("Redrive(%+v) = %d with progress %v; want %d with %v", f, n, calls, want, wantCalls)
			}
		}
		redrive(webhook.DeadFilter{HookID: "hC"}, 0)
		redrive(webhook.DeadFilter{HookID: "hA"}, 2)
		checkJobs(t, "dead after redriving hA", listDead(t, q, webhook.DeadFilter{}, 0), dead[2:])
		msgs := receiveN(t, q, 2)
		for _, m := range msgs {
			if m.Attempt != 1 {
				t.Errorf("redriven job %s: Attempt = %d, want 1", m.Job.DeliveryID, m.Attempt)
			}
		}
		checkJobs(t, "redriven", jobsOf(msgs), dead[:2])
		for _, m := range msgs {
			if err := q.Ack(t.Context(), m); err != nil {
				t.Fatalf("Ack redriven: %v", err)
			}
		}
		redrive(webhook.DeadFilter{}, 2)
		checkJobs(t, "dead after redriving all", listDead(t, q, webhook.DeadFilter{}, 0), nil)
		checkJobs(t, "redriven rest", jobsOf(receiveN(t, q, 2)), dead[2:])
	})
}

// SampleJob returns a valid job of event e for hook, numbered i. Its payload holds
// what a careless encoder changes: HTML characters, non-ASCII text and U+2028.
func SampleJob(hook string, e webhook.Event, i int) webhook.Job {
	payload := fmt.Sprintf(`{"event":%q,"createdAt":"2026-01-01T00:00:00.000Z","data":{"n":%d,"name":"<b>Ä & %s 😀</b>","url":"https://x.test/?a=1&b=2"}}`, e, i, "\u2028")
	return webhook.NewJob(webhook.EventMessage{ID: fmt.Sprintf("evt_%d", i), Event: e, Payload: json.RawMessage(payload)}, hook)
}

func send(t *testing.T, q Queue, jobs ...webhook.Job) {
	t.Helper()
	if err := q.Send(t.Context(), jobs); err != nil {
		t.Fatalf("Send(%d jobs): %v", len(jobs), err)
	}
}

// receiveN receives until n messages arrived, failing after 10 s or on more.
func receiveN(t *testing.T, q Queue, n int) []webhook.Message {
	t.Helper()
	var got []webhook.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		msgs, err := q.Receive(t.Context(), 10, time.Second)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, msgs...)
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	return got
}

func receiveNone(t *testing.T, q Queue, wait time.Duration, when string) {
	t.Helper()
	msgs, err := q.Receive(t.Context(), 10, wait)
	if err != nil {
		t.Fatalf("Receive %s: %v", when, err)
	}
	if len(msgs) != 0 {
		t.Fatalf("Receive %s returned %d messages (first %s, attempt %d), want none", when, len(msgs), msgs[0].Job.DeliveryID, msgs[0].Attempt)
	}
}

// deadLetter sends jobs to a queue with maxAttempts 1 and fails them once each,
// which leaves them in its dead-letter queue.
func deadLetter(t *testing.T, q Queue, jobs ...webhook.Job) {
	t.Helper()
	send(t, q, jobs...)
	for _, m := range receiveN(t, q, len(jobs)) {
		if err := q.Retry(t.Context(), m, 0); err != nil {
			t.Fatalf("Retry: %v", err)
		}
	}
	// SQS moves a message to the DLQ when a receive finds it over its count.
	receiveNone(t, q, time.Second, "after the last attempt")
}

func listDead(t *testing.T, q Queue, f webhook.DeadFilter, limit int) []webhook.Job {
	t.Helper()
	jobs, err := q.ListDead(t.Context(), f, limit)
	if err != nil {
		t.Fatalf("ListDead(%+v, %d): %v", f, limit, err)
	}
	return jobs
}

func jobsOf(msgs []webhook.Message) []webhook.Job {
	var jobs []webhook.Job
	for _, m := range msgs {
		jobs = append(jobs, m.Job)
	}
	return jobs
}

func indexOf(jobs []webhook.Job, deliveryID string) int {
	return slices.IndexFunc(jobs, func(j webhook.Job) bool { return j.DeliveryID == deliveryID })
}

// checkJobs compares jobs as sets (queues do not keep order), ignoring Attempt;
// payloads must be byte-equal.
func checkJobs(t *testing.T, what string, got, want []webhook.Job) {
	t.Helper()
	norm := func(jobs []webhook.Job) []string {
		var out []string
		for _, j := range jobs {
			j.Attempt = 0
			out = append(out, fmt.Sprintf("%d|%s|%s|%s|%s|%s", j.Version, j.DeliveryID, j.EventID, j.Event, j.HookID, j.Payload))
		}
		sort.Strings(out)
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s jobs:\n got %q\nwant %q", what, g, w)
	}
}
