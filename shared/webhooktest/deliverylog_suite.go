package webhooktest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestDeliveryLog runs the webhook.DeliveryLog contract against the logs newLog
// returns; each subtest gets a fresh, empty log. Entries are dated within the last
// day, so that a backend's TTL (days) does not expire them.
func TestDeliveryLog(t *testing.T, newLog func(t *testing.T) webhook.DeliveryLog) {
	// base is a whole second an hour ago; entries sit at base ± whole minutes.
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := func(min int) int64 { return base.Add(time.Duration(min) * time.Minute).UnixMilli() }

	t.Run("RoundTrip", func(t *testing.T) {
		l := newLog(t)
		want := webhook.LogEntry{
			HookID:     "h1",
			DeliveryID: "msg_abc",
			EventID:    "evt_abc",
			Event:      webhook.UserCreated,
			Attempt:    3,
			Result:     webhook.ResultError,
			Status:     502,
			LatencyMs:  1234,
			Error:      "upstream said no – ü",
			Request:    `{"event":"User.Created","data":{"name":"<&>"},"hookId":"h1"}`,
			Response:   "<html>bad gateway</html>",
			CreatedAt:  at(0) + 123,
		}
		minimal := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_def", EventID: "evt_def", Event: webhook.PostSignIn,
			Attempt: 1, Result: webhook.ResultSuccess, Status: 204, CreatedAt: at(-1)}
		record(t, l, want, minimal)
		got := query(t, l, webhook.LogQuery{HookID: "h1"})
		if len(got) != 2 || !reflect.DeepEqual(got[0], want) || !reflect.DeepEqual(got[1], minimal) {
			t.Errorf("Query\n got %#v\nwant %#v", got, []webhook.LogEntry{want, minimal})
		}
	})
	t.Run("LargeBodies", func(t *testing.T) {
		l := newLog(t)
		var sb strings.Builder
		for i := 0; sb.Len() < 16<<10; i++ {
			fmt.Fprintf(&sb, `{"id":"u%d","primaryEmail":"user%d@example.com","name":"Ünïcode <&> %d"},`, i, i, i)
		}
		want := webhook.LogEntry{HookID: "h1", DeliveryID: "msg_big", EventID: "evt_big", Event: webhook.UserDataUpdated,
			Attempt: 1, Result: webhook.ResultError, Status: 500, Request: sb.String(), Response: strings.Repeat("x", 4096), CreatedAt: at(0)}
		record(t, l, want)
		got := query(t, l, webhook.LogQuery{HookID: "h1"})
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Errorf("a 16 KiB request and 4 KiB response did not round-trip (got %d entries)", len(got))
		}
	})
	t.Run("Query", func(t *testing.T) {
		l := newLog(t)
		// e(min, result) at base+min minutes; h1 has entries at -3..+1 minutes,
		// two attempts of one delivery share a millisecond, and another hook and
		// a future entry must never show up.
		e := func(hook string, min int, r webhook.Result, attempt int) webhook.LogEntry {
			return webhook.LogEntry{HookID: hook, DeliveryID: fmt.Sprintf("msg_%d", min+10), EventID: "evt",
				Event: webhook.UserCreated, Attempt: attempt, Result: r, CreatedAt: at(min)}
		}
		s, f := webhook.ResultSuccess, webhook.ResultError
		record(t, l,
			e("h1", -3, s, 1), e("h1", -2, f, 1), e("h1", -1, s, 1), e("h1", 0, f, 1), e("h1", 0, s, 2),
			e("h2", -1, s, 1), e("h1", 120, s, 1), // two hours ahead of base: an hour in the future
		)
		key := func(en webhook.LogEntry) string {
			return fmt.Sprintf("%+d/%d", (en.CreatedAt-base.UnixMilli())/60000, en.Attempt)
		}
		tests := []struct {
			name string
			q    webhook.LogQuery
			want []string // minute/attempt, newest first
		}{
			{"all until now", webhook.LogQuery{HookID: "h1"}, []string{"+0/2", "+0/1", "-1/1", "-2/1", "-3/1"}},
			{"since inclusive", webhook.LogQuery{HookID: "h1", Since: time.UnixMilli(at(-1))}, []string{"+0/2", "+0/1", "-1/1"}},
			{"until inclusive", webhook.LogQuery{HookID: "h1", Until: time.UnixMilli(at(-2))}, []string{"-2/1", "-3/1"}},
			{"window", webhook.LogQuery{HookID: "h1", Since: time.UnixMilli(at(-2)), Until: time.UnixMilli(at(-1))}, []string{"-1/1", "-2/1"}},
			{"window between entries", webhook.LogQuery{HookID: "h1", Since: time.UnixMilli(at(-2) + 1), Until: time.UnixMilli(at(-1) - 1)}, nil},
			{"failed only", webhook.LogQuery{HookID: "h1", FailedOnly: true}, []string{"+0/1", "-2/1"}},
			{"limit", webhook.LogQuery{HookID: "h1", Limit: 2}, []string{"+0/2", "+0/1"}},
			{"failed only with limit", webhook.LogQuery{HookID: "h1", FailedOnly: true, Limit: 1}, []string{"+0/1"}},
			{"explicit future until", webhook.LogQuery{HookID: "h1", Since: time.UnixMilli(at(1)), Until: time.UnixMilli(at(121))}, []string{"+120/1"}},
			{"other hook", webhook.LogQuery{HookID: "h2"}, []string{"-1/1"}},
			{"unknown hook", webhook.LogQuery{HookID: "h3"}, nil},
		}
		for _, tt := range tests {
			var got []string
			for _, en := range query(t, l, tt.q) {
				if en.HookID != tt.q.HookID {
					t.Errorf("%s: got an entry of hook %s", tt.name, en.HookID)
				}
				got = append(got, key(en))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: Query = %v, want %v", tt.name, got, tt.want)
			}
		}
	})
	t.Run("Batches", func(t *testing.T) {
		testBatches(t, newLog(t), base)
	})
	t.Run("LargeBatch", func(t *testing.T) {
		l := newLog(t)
		// 16 attempts with 2 x 16 KiB of barely compressible bodies: more than
		// one DynamoDB item holds.
		rnd := rand.New(rand.NewPCG(1, 2))
		text := func() string {
			b := make([]byte, 16<<10)
			for i := range b {
				b[i] = byte('!' + rnd.IntN(90))
			}
			return string(b)
		}
		var want []webhook.LogEntry
		for i := range 16 {
			want = append(want, webhook.LogEntry{HookID: "h1", DeliveryID: fmt.Sprintf("msg_%02d", i), EventID: "evt",
				Event: webhook.UserCreated, Attempt: 1, Result: webhook.ResultError, Status: 500,
				Request: text(), Response: text(), CreatedAt: at(0) + int64(i)})
		}
		recordBatch(t, l, want...)
		slices.Reverse(want)
		if got := query(t, l, webhook.LogQuery{HookID: "h1"}); !reflect.DeepEqual(got, want) {
			t.Errorf("a batch of 16 x 32 KiB did not round-trip (got %d entries)", len(got))
		}
		if got := query(t, l, webhook.LogQuery{HookID: "h1", Limit: 5}); !reflect.DeepEqual(got, want[:5]) {
			t.Errorf("Limit 5 across split items: got %d entries, not the newest 5", len(got))
		}
	})
	t.Run("Stats", func(t *testing.T) {
		l := newLog(t)
		now := time.Now()
		e := func(hook string, ago time.Duration, r webhook.Result) webhook.LogEntry {
			return webhook.LogEntry{HookID: hook, DeliveryID: "msg_" + ago.String(), EventID: "evt", Event: webhook.RoleCreated,
				Attempt: 1, Result: r, CreatedAt: now.Add(-ago).UnixMilli()}
		}
		s, f := webhook.ResultSuccess, webhook.ResultError
		record(t, l, e("h1", 25*time.Hour, s), e("h1", 23*time.Hour, s), e("h1", 2*time.Hour, f), e("h1", time.Minute, s),
			e("h2", time.Hour, s))
		tests := []struct {
			name string
			hook string
			want webhook.Stats
		}{
			{"last 24 h", "h1", webhook.Stats{RequestCount: 3, SuccessCount: 2}},
			{"other hook", "h2", webhook.Stats{RequestCount: 1, SuccessCount: 1}},
			{"unknown hook", "h3", webhook.Stats{}},
		}
		for _, tt := range tests {
			got, err := l.Stats(t.Context(), tt.hook, now.Add(-24*time.Hour))
			if err != nil {
				t.Fatalf("%s: Stats: %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("%s: Stats = %+v, want %+v", tt.name, got, tt.want)
			}
		}
		// since is inclusive: an attempt made exactly then counts.
		exact := time.UnixMilli(now.Add(-2 * time.Hour).UnixMilli())
		if got, err := l.Stats(t.Context(), "h1", exact); err != nil || got != (webhook.Stats{RequestCount: 2, SuccessCount: 1}) {
			t.Errorf("Stats since the 2 h-old attempt's own time = %+v, %v; want it counted (2 requests, 1 success)", got, err)
		}
	})
}

// recordBatch hands entries over at once when l is a webhook.BatchRecorder, as
// the delivery Lambda does with its batch, else one by one.
func recordBatch(t *testing.T, l webhook.DeliveryLog, entries ...webhook.LogEntry) {
	t.Helper()
	if b, ok := l.(webhook.BatchRecorder); ok {
		if err := b.RecordBatch(t.Context(), entries); err != nil {
			t.Fatalf("RecordBatch(%d entries): %v", len(entries), err)
		}
		return
	}
	record(t, l, entries...)
}

func record(t *testing.T, l webhook.DeliveryLog, entries ...webhook.LogEntry) {
	t.Helper()
	for _, e := range entries {
		if err := l.Record(t.Context(), e); err != nil {
			t.Fatalf("Record(%s %s #%d): %v", e.HookID, e.DeliveryID, e.Attempt, err)
		}
	}
}

func query(t *testing.T, l webhook.DeliveryLog, q webhook.LogQuery) []webhook.LogEntry {
	t.Helper()
	got, err := l.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return got
}
