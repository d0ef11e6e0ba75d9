package webhooktest

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// testBatches records overlapping batches, as concurrent delivery Lambdas do,
// each mixing hooks, successes and failures, and spanning up to an hour, then
// checks every query against the entries themselves: a log that packs a batch's
// entries together must still bound, filter, order and limit each entry on its
// own.
func testBatches(t *testing.T, l webhook.DeliveryLog, base time.Time) {
	b := base.UnixMilli()
	var all []webhook.LogEntry
	batch := func(entries ...webhook.LogEntry) {
		all = append(all, entries...)
		recordBatch(t, l, entries...)
	}
	n := 0
	e := func(hook string, offMs int64, r webhook.Result) webhook.LogEntry {
		n++
		return webhook.LogEntry{HookID: hook, DeliveryID: fmt.Sprintf("msg_%03d", n), EventID: "evt", Event: webhook.UserCreated,
			Attempt: 1 + n%3, Result: r, Status: 200, Request: fmt.Sprintf(`{"n":%d}`, n), CreatedAt: b + offMs}
	}
	s, f := webhook.ResultSuccess, webhook.ResultError
	sec, minute := int64(1000), int64(60000)
	// Two batches of h1 interleaved in time, with h2 and h3 in the same batches.
	batch(e("h1", 0, s), e("h2", 1*sec, s), e("h1", 2*sec, f), e("h1", 4*sec, s), e("h3", 5*sec, f), e("h1", 6*sec, f))
	batch(e("h1", 1*sec, f), e("h1", 3*sec, s), e("h2", 3*sec, f), e("h1", 5*sec, s), e("h1", 5*sec, f))
	// A batch spanning an hour, and one whose entries share a millisecond.
	batch(e("h1", -60*minute, s), e("h1", -40*minute, f), e("h1", -20*minute, s), e("h1", -10*sec, s))
	batch(e("h1", 7*sec, s), e("h1", 7*sec, f), e("h1", 7*sec, s))

	want := func(q webhook.LogQuery) []webhook.LogEntry {
		until := q.Until
		if until.IsZero() {
			until = time.Now()
		}
		var out []webhook.LogEntry
		for _, en := range all {
			if en.HookID == q.HookID && en.CreatedAt <= until.UnixMilli() && (q.Since.IsZero() || en.CreatedAt >= q.Since.UnixMilli()) &&
				(!q.FailedOnly || en.Result != webhook.ResultSuccess) {
				out = append(out, en)
			}
		}
		slices.SortFunc(out, func(a, b webhook.LogEntry) int {
			return cmp.Or(cmp.Compare(b.CreatedAt, a.CreatedAt), cmp.Compare(b.DeliveryID, a.DeliveryID), cmp.Compare(b.Attempt, a.Attempt))
		})
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
		return out
	}
	ms := func(off int64) time.Time { return time.UnixMilli(b + off) }
	var qs []webhook.LogQuery
	for _, hook := range []string{"h1", "h2", "h3", "h4"} {
		for _, failed := range []bool{false, true} {
			for limit := range 14 {
				qs = append(qs, webhook.LogQuery{HookID: hook, FailedOnly: failed, Limit: limit})
			}
			qs = append(qs,
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Since: ms(2 * sec)},
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Since: ms(2*sec + 1), Until: ms(5 * sec)},
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Until: ms(3*sec - 1), Limit: 3},
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Since: ms(-50 * minute), Until: ms(-15 * minute)},
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Since: ms(-30 * minute), Limit: 4},
				webhook.LogQuery{HookID: hook, FailedOnly: failed, Since: ms(7 * sec), Until: ms(7 * sec)},
			)
		}
	}
	for _, q := range qs {
		got, w := query(t, l, q), want(q)
		if len(got) != len(w) || (len(w) > 0 && !reflect.DeepEqual(got, w)) {
			t.Errorf("Query(%+v) = %v, want %v", q, ids(got), ids(w))
		}
	}
	for _, since := range []int64{-61 * minute, -40*minute - 1, -40*minute + 1, 2*sec - 1, 5*sec - 1, 5*sec + 1, 8 * sec} {
		for _, hook := range []string{"h1", "h2", "h3"} {
			var w webhook.Stats
			for _, en := range all {
				if en.HookID == hook && en.CreatedAt >= b+since {
					w.RequestCount++
					if en.Result == webhook.ResultSuccess {
						w.SuccessCount++
					}
				}
			}
			// Never exactly at an entry: the SQLite log counts only entries after since.
			got, err := l.Stats(t.Context(), hook, ms(since))
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if got != w {
				t.Errorf("Stats(%s, base%+dms) = %+v, want %+v", hook, since, got, w)
			}
		}
	}
}

func ids(es []webhook.LogEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.DeliveryID)
	}
	return out
}
