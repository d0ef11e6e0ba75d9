package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// recordingSender keeps every job and the size of every Send call.
type recordingSender struct {
	mu    sync.Mutex
	calls []int
	jobs  []webhook.Job
}

func (r *recordingSender) Send(_ context.Context, jobs []webhook.Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, len(jobs))
	r.jobs = append(r.jobs, jobs...)
	return nil
}

// fanoutService returns a service whose hooks (ids given) all subscribe to
// User.Created.
func fanoutService(t *testing.T, limits ingest.Limits, hookIDs ...string) (*ingest.Service, *recordingSender) {
	t.Helper()
	store := webhooktest.NewMemoryHookStore()
	for _, id := range hookIDs {
		if err := store.PutHook(context.Background(), hook(id, true, webhook.UserCreated)); err != nil {
			t.Fatal(err)
		}
	}
	q := &recordingSender{}
	return ingest.New(ingest.Config{Hooks: store, Queue: q, Now: func() time.Time { return now }, Limits: limits}), q
}

func hookIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("hook%03d", i)
	}
	return ids
}

// userRecords returns a request of n User.Created records, each with a
// responseBody padded to pad bytes, and record big (if >= 0) padded to bigPad.
func userRecords(n, pad, big, bigPad int) string {
	recs := make([]string, n)
	for i := range recs {
		p := pad
		if i == big {
			p = bigPad
		}
		recs[i] = fmt.Sprintf(`{"type":"managementApi","id":"r%d","method":"POST","path":"/api/users","status":201,"responseBody":{"id":"u%d","pad":%q}}`,
			i, i, strings.Repeat("x", p))
	}
	return `{"records":[` + strings.Join(recs, ",") + `]}`
}

func ingestError(t *testing.T, err error) *ingest.Error {
	t.Helper()
	var e *ingest.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *ingest.Error", err)
	}
	return e
}

func TestIngestRefusesTooManyDeliveries(t *testing.T) {
	svc, q := fanoutService(t, ingest.Limits{}, hookIDs(21)...)
	_, err := svc.Ingest(context.Background(), []byte(userRecords(500, 10, -1, 0)))
	e := ingestError(t, err)
	if e.Status != 413 || e.Code != "too_many_deliveries" || e.Record != nil ||
		!strings.Contains(e.Message, "10500 deliveries") || !strings.Contains(e.Message, "at most 10000") {
		t.Errorf("got %d %s record %v: %s; want 413 too_many_deliveries naming 10500 and the limit 10000", e.Status, e.Code, e.Record, e.Message)
	}
	if len(q.jobs) != 0 {
		t.Errorf("%d jobs queued, want none", len(q.jobs))
	}
}

func TestIngestNamesARecordTooBigToFanOutAlone(t *testing.T) {
	svc, q := fanoutService(t, ingest.Limits{MaxDeliveries: 5}, hookIDs(6)...)
	_, err := svc.Ingest(context.Background(), []byte(userRecords(1, 10, -1, 0)))
	e := ingestError(t, err)
	if e.Status != 413 || e.Code != "too_many_deliveries" || e.Record == nil || *e.Record != 0 || !strings.Contains(e.Message, "6 deliveries") {
		t.Errorf("got %d %s record %v: %s; want 413 naming record 0 and its 6 deliveries", e.Status, e.Code, e.Record, e.Message)
	}
	if len(q.jobs) != 0 {
		t.Errorf("%d jobs queued, want none", len(q.jobs))
	}
}

// TestIngestRefusesAnOversizeJob: one record whose job cannot fit the queue's
// maximum message size fails the whole request at validation, naming it,
// before any other record's job is queued.
func TestIngestRefusesAnOversizeJob(t *testing.T) {
	svc, q := fanoutService(t, ingest.Limits{}, "h1", "h2")
	_, err := svc.Ingest(context.Background(), []byte(userRecords(3, 10, 1, 300<<10)))
	e := ingestError(t, err)
	if e.Status != 413 || e.Code != "job_too_large" || e.Record == nil || *e.Record != 1 || !strings.Contains(e.Message, "262144") {
		t.Errorf("got %d %s record %v: %s; want 413 job_too_large naming record 1 and the limit", e.Status, e.Code, e.Record, e.Message)
	}
	if len(q.jobs) != 0 {
		t.Errorf("%d jobs queued, want none", len(q.jobs))
	}
}

// TestIngestJobSizeIsExact: a job of exactly MaxJobBytes passes and one byte
// more does not, whichever hook's id is the longest.
func TestIngestJobSizeIsExact(t *testing.T) {
	ids := []string{"h1", "a-much-longer-hook-id", `quote"and<html>`}
	probe, q := fanoutService(t, ingest.Limits{}, ids...)
	if _, err := probe.Ingest(context.Background(), []byte(userRecords(1, 1000, -1, 0))); err != nil {
		t.Fatal(err)
	}
	largest, total := 0, 0
	for _, j := range q.jobs {
		b, err := webhook.EncodeJob(j)
		if err != nil {
			t.Fatal(err)
		}
		largest, total = max(largest, len(b)), total+len(b)
	}
	for _, tt := range []struct {
		limits ingest.Limits
		ok     bool
	}{
		{ingest.Limits{MaxJobBytes: largest}, true},
		{ingest.Limits{MaxJobBytes: largest - 1}, false},
		{ingest.Limits{MaxRequestJobBytes: int64(total)}, true},
		{ingest.Limits{MaxRequestJobBytes: int64(total - 1)}, false},
	} {
		svc, _ := fanoutService(t, tt.limits, ids...)
		_, err := svc.Ingest(context.Background(), []byte(userRecords(1, 1000, -1, 0)))
		if (err == nil) != tt.ok {
			t.Errorf("limits %+v (largest job %d, total %d): err = %v, want ok=%v", tt.limits, largest, total, err, tt.ok)
		}
	}
}

func TestIngestRefusesTooManyJobBytes(t *testing.T) {
	svc, q := fanoutService(t, ingest.Limits{}, hookIDs(200)...)
	_, err := svc.Ingest(context.Background(), []byte(userRecords(4, 200<<10, -1, 0)))
	e := ingestError(t, err)
	if e.Status != 413 || e.Code != "fanout_too_large" || !strings.Contains(e.Message, "800 delivery jobs") ||
		!strings.Contains(e.Message, fmt.Sprint(ingest.DefaultMaxRequestJobBytes)) {
		t.Errorf("got %d %s: %s; want 413 fanout_too_large naming 800 jobs and the limit", e.Status, e.Code, e.Message)
	}
	if len(q.jobs) != 0 {
		t.Errorf("%d jobs queued, want none", len(q.jobs))
	}
}

// TestIngestSendsInChunks: the worst allowed request reaches the queue in
// chunks, never as one slice of every job.
func TestIngestSendsInChunks(t *testing.T) {
	svc, q := fanoutService(t, ingest.Limits{}, hookIDs(20)...)
	resp, err := svc.Ingest(context.Background(), []byte(userRecords(500, 10, -1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Deliveries != 10000 || len(q.jobs) != 10000 {
		t.Fatalf("deliveries %d, queued %d; want 10000", resp.Deliveries, len(q.jobs))
	}
	seen := map[string]bool{}
	for _, j := range q.jobs {
		seen[j.DeliveryID] = true
	}
	if len(seen) != 10000 {
		t.Errorf("%d distinct delivery ids, want 10000", len(seen))
	}
	for _, n := range q.calls {
		if n > 1000 {
			t.Errorf("one Send got %d jobs, want chunks of at most 1000 (calls %v)", n, q.calls)
			break
		}
	}
}
