package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

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
		for _, b := range batches(tt.bodies) {
			got = append(got, len(b))
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
