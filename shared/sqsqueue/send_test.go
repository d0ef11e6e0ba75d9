package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func TestBatches(t *testing.T) {
	small := strings.Repeat("x", 100)
	big := strings.Repeat("x", 100<<10)
	repeat := func(s string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	tests := []struct {
		name   string
		bodies []string
		want   []int // batch sizes
	}{
		{"none", nil, nil},
		{"one", []string{small}, []int{1}},
		{"25 small", repeat(small, 25), []int{10, 10, 5}},
		{"100 KiB each", repeat(big, 5), []int{2, 2, 1}},
		{"too big alone", []string{small, strings.Repeat("x", 300<<10), small}, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		var got []int
		err := eachBatch(len(tt.bodies), func(i int) (string, error) { return tt.bodies[i], nil }, func(b batch) bool {
			got = append(got, len(b.idx))
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: batch sizes %v, want %v", tt.name, got, tt.want)
		}
	}
}

// flakySQS fails entries by body: "server:N" fails N times on SQS's side,
// "client" always fails as the sender's fault.
type flakySQS struct {
	API
	fails map[string]int
	calls int
	sent  []string
}

func (f *flakySQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.calls++
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		body := aws.ToString(e.MessageBody)
		switch {
		case strings.Contains(body, "client"):
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: true, Code: aws.String("InvalidMessageContents"), Message: aws.String("bad")})
		case f.fails[body] > 0:
			f.fails[body]--
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
		default:
			f.sent = append(f.sent, body)
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	return out, nil
}

func TestSendRetriesFailedEntries(t *testing.T) {
	job := func(id string) webhook.Job {
		return webhook.Job{Version: 1, DeliveryID: id, EventID: "e", HookID: "h", Event: webhook.UserCreated, Payload: []byte(`{}`)}
	}
	tests := []struct {
		name      string
		ids       []string
		fails     int // times each "server" entry fails
		wantCalls int
		wantSent  int
		wantErr   string
	}{
		{"all fine", []string{"a", "b"}, 0, 1, 2, ""},
		{"server fault retried", []string{"a", "server1", "server2"}, 2, 3, 3, ""},
		{"server fault exhausted", []string{"a", "server1"}, 9, 4, 1, "1 of 2 jobs not queued: InternalError: try again"},
		{"sender fault not retried", []string{"a", "client", "b"}, 0, 1, 2, "1 of 3 jobs not queued: InvalidMessageContents: bad"},
	}
	for _, tt := range tests {
		api := &flakySQS{fails: map[string]int{}}
		var jobs []webhook.Job
		for _, id := range tt.ids {
			j := job(id)
			jobs = append(jobs, j)
			if strings.HasPrefix(id, "server") {
				b, _ := webhook.EncodeJob(j)
				api.fails[string(b)] = tt.fails
			}
		}
		q := New(api, "main", "dlq", WithSendRetry(4, time.Millisecond))
		err := q.Send(t.Context(), jobs)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: Send error = %v, want %q", tt.name, err, tt.wantErr)
		}
		if api.calls != tt.wantCalls || len(api.sent) != tt.wantSent {
			t.Errorf("%s: %d calls sent %d jobs, want %d calls, %d jobs", tt.name, api.calls, len(api.sent), tt.wantCalls, tt.wantSent)
		}
	}
}

type brokenSQS struct{ API }

func (brokenSQS) SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return nil, errors.New("connection refused")
}

func TestSendCallFails(t *testing.T) {
	var jobs []webhook.Job
	for i := range 12 {
		jobs = append(jobs, webhook.Job{Version: 1, DeliveryID: fmt.Sprint(i), Payload: []byte(`{}`)})
	}
	err := New(brokenSQS{}, "main", "dlq").Send(t.Context(), jobs)
	if err == nil || !strings.Contains(err.Error(), "12 of 12 jobs not queued: connection refused") {
		t.Errorf("Send error = %v, want all 12 reported", err)
	}
}

func TestEncodeJobKeepsPayloadBytes(t *testing.T) {
	payload := "{\"a\":\"<b>&\u2028ü\"}"
	b, err := webhook.EncodeJob(webhook.Job{Version: 1, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	if body := string(b); !strings.Contains(body, `"payload":`+payload) || strings.HasSuffix(body, "\n") {
		t.Errorf("EncodeJob = %s, want the payload verbatim and no trailing newline", body)
	}
}

// slowSQS accepts every entry after a pause, recording how many calls were in
// flight at once.
type slowSQS struct {
	API
	pause             time.Duration
	mu                sync.Mutex
	inFlight, maxSeen int
	calls, entries    int
	failFrom          int // from this call on, calls fail (0: never)
}

func (s *slowSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.mu.Lock()
	s.calls++
	call := s.calls
	s.inFlight++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	s.mu.Unlock()
	time.Sleep(s.pause)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.failFrom > 0 && call >= s.failFrom {
		return nil, errors.New("throttled")
	}
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		s.entries++
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func manyJobs(n int) []webhook.Job {
	jobs := make([]webhook.Job, n)
	for i := range jobs {
		jobs[i] = webhook.Job{Version: 1, DeliveryID: fmt.Sprint(i), EventID: "e", HookID: "h", Event: webhook.UserCreated, Payload: []byte(`{}`)}
	}
	return jobs
}

// TestSendConcurrently: a large Send keeps several calls in flight, never more
// than the concurrency, so the ingest function's worst allowed request (about
// 1,000 calls) is not 1,000 round trips one after another.
func TestSendConcurrently(t *testing.T) {
	api := &slowSQS{pause: 5 * time.Millisecond}
	q := New(api, "main", "dlq", WithSendConcurrency(8))
	if err := q.Send(t.Context(), manyJobs(1000)); err != nil {
		t.Fatal(err)
	}
	if api.calls != 100 || api.entries != 1000 {
		t.Errorf("%d calls sent %d entries, want 100 calls, 1000 entries", api.calls, api.entries)
	}
	if api.maxSeen < 2 || api.maxSeen > 8 {
		t.Errorf("at most %d calls were in flight at once, want 2 to 8", api.maxSeen)
	}
}

// TestSendStopsAfterFailure: once a call fails for good, Send starts no new
// one (the request fails anyway; going on would only add duplicates for its
// retry), and reports every job not queued.
func TestSendStopsAfterFailure(t *testing.T) {
	api := &slowSQS{pause: time.Millisecond, failFrom: 3}
	q := New(api, "main", "dlq", WithSendConcurrency(2))
	err := q.Send(t.Context(), manyJobs(1000))
	if err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Fatalf("Send error = %v, want the call's", err)
	}
	if want := fmt.Sprintf("%d of 1000 jobs not queued", 1000-api.entries); !strings.Contains(err.Error(), want) {
		t.Errorf("Send error = %v, want %q", err, want)
	}
	if api.calls > 10 {
		t.Errorf("Send went on for %d calls after the third failed", api.calls)
	}
}

// TestIngestLimitIsTheMessageSize: ingest refuses, by default, exactly the jobs
// Send was not built for.
func TestIngestLimitIsTheMessageSize(t *testing.T) {
	if ingest.DefaultMaxJobBytes != MaxMessageBytes {
		t.Errorf("ingest.DefaultMaxJobBytes = %d, want sqsqueue.MaxMessageBytes = %d", ingest.DefaultMaxJobBytes, MaxMessageBytes)
	}
}
