package webhooktest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

const testKey = "receiver-test-key"

// request is one POST a case sends.
type request struct {
	id string
	// sign edits the headers after they are signed with testKey (nil: keep them).
	sign func(h http.Header)
	// ts is the webhook-timestamp's offset from now.
	ts time.Duration
}

// deliver posts body as id to url, signed with key, and returns the status.
func deliver(t *testing.T, url, key string, r request) int {
	t.Helper()
	body := []byte(`{"event":"User.Created"}`)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	signature.Sign(req.Header, []string{key}, r.id, time.Now().Add(r.ts), body)
	if r.sign != nil {
		r.sign(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReceiver(t *testing.T) {
	failFirst := func(_ *http.Request, _ []byte, n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	tests := []struct {
		name        string
		opts        webhooktest.ReceiverOptions
		noKey       bool
		requests    []request
		wantStatus  []int
		wantUnique  int
		wantTotal   int
		wantBad     int
		wantBadText string
	}{
		{name: "both signatures verify", requests: []request{{id: "msg_1"}},
			wantStatus: []int{204}, wantUnique: 1, wantTotal: 1},
		{name: "duplicates counted", requests: []request{{id: "msg_1"}, {id: "msg_1"}, {id: "msg_2"}},
			wantStatus: []int{204, 204, 204}, wantUnique: 2, wantTotal: 3},
		{name: "logto signature missing", requests: []request{{id: "msg_1", sign: func(h http.Header) { h.Del(signature.HeaderLogto) }}},
			wantStatus: []int{401}, wantBad: 1, wantBadText: "msg_1: "},
		{name: "standard signature missing", requests: []request{{id: "msg_1", sign: func(h http.Header) { h.Del(signature.HeaderSignature) }}},
			wantStatus: []int{401}, wantBad: 1},
		{name: "altered logto signature", requests: []request{{id: "msg_1", sign: func(h http.Header) { h.Set(signature.HeaderLogto, strings.Repeat("0", 64)) }}},
			wantStatus: []int{401}, wantBad: 1},
		{name: "stale timestamp", requests: []request{{id: "msg_1", ts: -10 * time.Minute}},
			wantStatus: []int{401}, wantBad: 1},
		{name: "tolerance option", opts: webhooktest.ReceiverOptions{Tolerance: time.Hour}, requests: []request{{id: "msg_1", ts: -10 * time.Minute}},
			wantStatus: []int{204}, wantUnique: 1, wantTotal: 1},
		{name: "no key set", noKey: true, requests: []request{{id: "msg_1"}},
			wantStatus: []int{401}, wantBad: 1, wantBadText: "no key set"},
		{name: "skip verify", noKey: true, opts: webhooktest.ReceiverOptions{SkipVerify: true},
			requests:   []request{{id: "msg_1", sign: func(h http.Header) { h.Del(signature.HeaderLogto); h.Del(signature.HeaderSignature) }}},
			wantStatus: []int{204}, wantUnique: 1, wantTotal: 1},
		{name: "respond sees the attempt number", opts: webhooktest.ReceiverOptions{Respond: failFirst},
			requests:   []request{{id: "msg_1"}, {id: "msg_1"}, {id: "msg_2"}},
			wantStatus: []int{500, 200, 500}, wantUnique: 1, wantTotal: 1},
		{name: "respond 0 is no delivery", opts: webhooktest.ReceiverOptions{Respond: func(*http.Request, []byte, int) int { return 0 }},
			requests: []request{{id: "msg_1"}}, wantStatus: []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := webhooktest.NewReceiver(t, tt.opts)
			if !tt.noKey {
				rcv.SetKey(testKey)
			}
			var got []int
			for _, r := range tt.requests {
				got = append(got, deliver(t, rcv.URL, testKey, r))
			}
			if !slices.Equal(got, tt.wantStatus) {
				t.Errorf("statuses = %v; want %v", got, tt.wantStatus)
			}
			if n := rcv.Requests(); n != int64(len(tt.requests)) {
				t.Errorf("Requests() = %d; want %d", n, len(tt.requests))
			}
			if u, total := rcv.Counts(); u != tt.wantUnique || total != tt.wantTotal {
				t.Errorf("Counts() = %d, %d; want %d, %d", u, total, tt.wantUnique, tt.wantTotal)
			}
			bad, first := rcv.BadSignatures()
			if bad != tt.wantBad || !strings.Contains(first, tt.wantBadText) {
				t.Errorf("BadSignatures() = %d, %q; want %d containing %q", bad, first, tt.wantBad, tt.wantBadText)
			}
			if strings.Contains(first, testKey) {
				t.Errorf("BadSignatures() reveals the key: %q", first)
			}
		})
	}
}

func TestReceiverHasMissing(t *testing.T) {
	rcv := webhooktest.NewReceiver(t, webhooktest.ReceiverOptions{})
	rcv.SetKey(testKey)
	var ids []string
	for i := range 7 {
		ids = append(ids, fmt.Sprintf("msg_%d", i))
	}
	var wg sync.WaitGroup
	for _, id := range ids[:2] {
		wg.Go(func() { deliver(t, rcv.URL, testKey, request{id: id}) })
	}
	wg.Wait()
	if rcv.Has(ids) {
		t.Error("Has(7 ids) with 2 delivered = true")
	}
	if got, want := rcv.Missing(ids), ids[2:7]; !slices.Equal(got, want) {
		t.Errorf("Missing = %v; want the first 5 undelivered %v", got, want)
	}
	if !rcv.Has(ids[:2]) {
		t.Errorf("Has(%v) = false; Delivered() = %v", ids[:2], rcv.Delivered())
	}
	if rcv.Has(ids[:1]) {
		t.Error("Has(one of two delivered ids) = true; want false, another id arrived")
	}
	if got := rcv.Delivered(); len(got) != 2 || got["msg_0"] != 1 || got["msg_1"] != 1 {
		t.Errorf("Delivered() = %v; want msg_0 and msg_1 once each", got)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b webhooktest.SyncBuffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { _, _ = b.Write([]byte("ab")) })
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("ab", 10) {
		t.Errorf("String() = %q; want 10 x ab", got)
	}
}
