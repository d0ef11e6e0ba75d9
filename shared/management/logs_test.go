package management_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func TestRecentLogsShape(t *testing.T) {
	f := newFixture(t)
	ok := f.record(t, "h1", webhook.ResultSuccess, t0.Add(-time.Minute))
	failed := f.record(t, "h1", webhook.ResultError, t0.Add(-2*time.Minute))
	noResponse := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_net", EventID: "evt_2", Event: webhook.PostSignIn,
		Attempt: 3, Result: webhook.ResultError, Error: "dial tcp: connection refused",
		Request: `{"event":"PostSignIn","hookId":"h1"`, CreatedAt: t0.Add(-3 * time.Minute).UnixMilli()}
	if err := f.log.Record(context.Background(), noResponse); err != nil {
		t.Fatal(err)
	}

	w := f.do(t, http.MethodGet, "/hooks/h1/recent-logs", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body.String())
	}
	var got []json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got) != 3 {
		t.Fatalf("body %s: %v, want 3 logs", w.Body.String(), err)
	}
	want := []string{
		fmt.Sprintf(`{"id":"%s.1","key":"TriggerHook.User.Created","payload":{"key":"TriggerHook.User.Created","result":"Success","hookId":"h1","hookRequest":{"body":{"event":"User.Created","hookId":"h1"}},"response":{"statusCode":200,"body":"ok"},"deliveryId":"%s","eventId":"evt_1","attempt":1,"latencyMs":12},"createdAt":%d}`,
			ok.DeliveryID, ok.DeliveryID, ok.CreatedAt),
		fmt.Sprintf(`{"id":"%s.1","key":"TriggerHook.User.Created","payload":{"key":"TriggerHook.User.Created","result":"Error","hookId":"h1","hookRequest":{"body":{"event":"User.Created","hookId":"h1"}},"response":{"statusCode":500,"body":{"error":"boom"}},"error":"Request failed with status code 500","deliveryId":"%s","eventId":"evt_1","attempt":1,"latencyMs":12},"createdAt":%d}`,
			failed.DeliveryID, failed.DeliveryID, failed.CreatedAt),
		fmt.Sprintf(`{"id":"msg_net.3","key":"TriggerHook.PostSignIn","payload":{"key":"TriggerHook.PostSignIn","result":"Error","hookId":"h1","hookRequest":{"body":"{\"event\":\"PostSignIn\",\"hookId\":\"h1\""},"error":"dial tcp: connection refused","deliveryId":"msg_net","eventId":"evt_2","attempt":3,"latencyMs":0},"createdAt":%d}`,
			noResponse.CreatedAt),
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("log %d =\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
	if got := w.Header().Get("Total-Number"); got != "3" {
		t.Errorf("Total-Number = %q, want 3", got)
	}
}

func TestRecentLogsQueries(t *testing.T) {
	f := newFixture(t)
	var at []int64 // creation times, newest first
	for i := range 30 {
		e := f.record(t, "h1", webhook.ResultSuccess, t0.Add(-time.Duration(i)*time.Hour))
		at = append(at, e.CreatedAt)
	}
	f.record(t, "other", webhook.ResultSuccess, t0.Add(-time.Minute))
	signIn := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_s", Event: webhook.PostSignIn, Attempt: 1,
		Result: webhook.ResultSuccess, CreatedAt: t0.Add(-90 * time.Minute).UnixMilli()}
	if err := f.log.Record(context.Background(), signIn); err != nil {
		t.Fatal(err)
	}
	ms := func(i int) string { return fmt.Sprint(at[i]) }

	tests := []struct {
		name      string
		query     string // or, starting with "/", a path under /hooks
		wantTotal string
		want      []int64
	}{
		// The default window is the last 24 h, bounds included: hours 0-24 and the sign-in.
		{"DefaultWindowFirstPage", "", "26", append(append([]int64{}, at[:2]...), append([]int64{signIn.CreatedAt}, at[2:19]...)...)},
		{"DefaultWindowLastPage", "?page=2", "26", at[19:25]},
		{"PageSize", "?page_size=3&page=3", "26", append([]int64{at[5]}, at[6:8]...)},
		{"BeyondLastPage", "?page=9", "26", nil},
		{"ExplicitWindowInclusive", "?start_time=" + ms(29) + "&end_time=" + ms(27), "3", at[27:30]},
		{"StartOnly", "?start_time=" + ms(2) + "&page_size=100", "4", []int64{at[0], at[1], signIn.CreatedAt, at[2]}},
		{"EndOnlyReachesPastDefaultWindow", "?end_time=" + ms(26) + "&page_size=100", "4", at[26:30]},
		{"LogKey", "?logKey=TriggerHook.PostSignIn", "1", []int64{signIn.CreatedAt}},
		{"UnknownLogKey", "?logKey=TriggerHook.Nope", "0", nil},
		{"UnknownHookIsEmpty", "/nope/recent-logs", "0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/hooks/h1/recent-logs" + tt.query
			if strings.HasPrefix(tt.query, "/") { // another hook's path
				path = "/hooks" + tt.query
			}
			w := f.do(t, http.MethodGet, path, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", w.Code, w.Body.String())
			}
			var logs []struct{ CreatedAt int64 }
			if err := json.Unmarshal(w.Body.Bytes(), &logs); err != nil {
				t.Fatalf("body %s: %v", w.Body.String(), err)
			}
			var got []int64
			for _, l := range logs {
				got = append(got, l.CreatedAt)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("createdAt = %v, want %v", got, tt.want)
			}
			if got := w.Header().Get("Total-Number"); got != tt.wantTotal {
				t.Errorf("Total-Number = %q, want %q", got, tt.wantTotal)
			}
		})
	}
}

func TestRecentLogsErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, query string
		code, field string
	}{
		{"StartAfterEnd", "?start_time=2000&end_time=1000", "log.invalid_time_window", ""},
		{"StartNotANumber", "?start_time=yesterday", "guard.invalid_input", "start_time"},
		{"EndInfinite", "?end_time=Infinity", "guard.invalid_input", "end_time"},
		{"EndNaN", "?end_time=NaN", "guard.invalid_input", "end_time"},
		{"PageSizeTooLarge", "?page_size=101", "guard.invalid_pagination", ""},
		{"PageZero", "?page=0", "guard.invalid_pagination", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, f.do(t, http.MethodGet, "/hooks/h1/recent-logs"+tt.query, ""), 400, tt.code, tt.field)
		})
	}
}
