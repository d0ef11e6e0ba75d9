package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// putHooks saves n enabled User.Created hooks pointing at url, straight into
// the database (the management API would check each URL and take longer).
func putHooks(t *testing.T, srv *dev, n int, url string) {
	t.Helper()
	for i := range n {
		h := webhook.Hook{ID: fmt.Sprintf("fan%03d", i), Name: t.Name(), Events: []webhook.Event{webhook.UserCreated},
			URL: url, SigningKey: webhook.NewSigningKey(), Enabled: true, CreatedAt: time.Now().UnixMilli()}
		if err := srv.DB.PutHook(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
}

// paddedUserRecord is userRecord with a responseBody padded by pad bytes.
func paddedUserRecord(id string, pad int) string {
	return fmt.Sprintf(`{"type":"managementApi","id":%q,"method":"POST","path":"/api/users","status":200,"responseBody":{"id":%q,"pad":%q}}`,
		id, id, strings.Repeat("x", pad))
}

func request(records ...string) []byte {
	return []byte(`{"records":[` + strings.Join(records, ",") + `]}`)
}

func userRequest(prefix string, n int) []byte {
	recs := make([]string, n)
	for i, id := range ids(prefix, n) {
		recs[i] = userRecord(id)
	}
	return request(recs...)
}

// apiError is the ingest error body.
type apiError struct {
	Error struct {
		Code, Message string
		Record        *int
	}
}

// TestFanoutOverTheLimit: a request making more deliveries than the limit
// (500 records x 21 hooks = 10,500 > 10,000) is refused with 413 naming the
// limit, and nothing is queued.
func TestFanoutOverTheLimit(t *testing.T) {
	srv := startDev(t, devserver.Config{})
	putHooks(t, srv, 21, "http://127.0.0.1:9/unused")
	status, out := post(t, srv.URL+"/events", userRequest("over", webhook.MaxRecords))
	var e apiError
	if status != http.StatusRequestEntityTooLarge || json.Unmarshal(out, &e) != nil || e.Error.Code != "too_many_deliveries" ||
		!strings.Contains(e.Error.Message, "10000") {
		t.Fatalf("POST /events (10,500 deliveries) = %d %.300s; want 413 too_many_deliveries naming the limit 10000", status, out)
	}
	if n := queueRows(t, srv.DBPath); n != 0 {
		t.Errorf("%d jobs queued by a refused request, want 0", n)
	}
}

// TestFanoutOversizeRecord: one record whose job cannot fit the queue's
// maximum message size (256 KiB, as SQS) among good ones fails the request
// with 413 naming that record, before any job is queued; the same request
// without it is accepted.
func TestFanoutOversizeRecord(t *testing.T) {
	srv := startDev(t, devserver.Config{})
	putHooks(t, srv, 2, "http://127.0.0.1:9/unused")
	good := func(i int) string { return paddedUserRecord(fmt.Sprintf("good-%d", i), 100) }
	status, out := post(t, srv.URL+"/events", request(good(0), good(1), paddedUserRecord("huge", 300<<10), good(3)))
	var e apiError
	if status != http.StatusRequestEntityTooLarge || json.Unmarshal(out, &e) != nil || e.Error.Code != "job_too_large" ||
		e.Error.Record == nil || *e.Error.Record != 2 {
		t.Fatalf("POST /events with records[2] of 300 KiB = %d %.300s; want 413 job_too_large naming record 2", status, out)
	}
	if n := queueRows(t, srv.DBPath); n != 0 {
		t.Errorf("%d jobs queued by a refused request, want 0", n)
	}
	if status, out := post(t, srv.URL+"/events", request(good(0), good(1), good(3))); status != http.StatusAccepted {
		t.Errorf("POST /events without the oversize record = %d %.300s; want 202", status, out)
	}
}

// TestFanoutDoesNotStallOtherProducers: while the largest allowed fan-out
// (500 records x 20 hooks) is queued, another producer's 1-record requests
// keep being answered: the slowest of them takes a small fraction of the big
// request's time, where one transaction for the whole fan-out made them wait
// for nearly all of it.
func TestFanoutDoesNotStallOtherProducers(t *testing.T) {
	rcv := newQuickReceiver(t)
	srv := startDev(t, devserver.Config{})
	putHooks(t, srv, 20, rcv.URL)

	var (
		wg      sync.WaitGroup
		bigTime time.Duration
		done    = make(chan struct{})
	)
	wg.Go(func() {
		defer close(done)
		start := time.Now()
		status, out := post(t, srv.URL+"/events", userRequest("big", webhook.MaxRecords))
		bigTime = time.Since(start)
		if status != http.StatusAccepted {
			t.Errorf("big POST /events = %d %.300s; want 202", status, out)
		}
	})
	var slowest time.Duration
	small := 0
	for loop := true; loop; small++ {
		select {
		case <-done:
			loop = false
		case <-time.After(20 * time.Millisecond):
		}
		start := time.Now()
		status, out := post(t, srv.URL+"/events", userRequest(fmt.Sprintf("small-%d", small), 1))
		slowest = max(slowest, time.Since(start))
		if status != http.StatusAccepted {
			t.Fatalf("small POST /events = %d %.300s; want 202", status, out)
		}
	}
	wg.Wait()
	t.Logf("big request (10,000 deliveries) took %s; slowest of %d 1-record requests beside it %s", bigTime, small, slowest)
	if slowest > bigTime/4 {
		t.Errorf("a 1-record request waited %s beside a fan-out taking %s; want under a quarter of it", slowest, bigTime)
	}
}

// newQuickReceiver answers every delivery 204 at once.
func newQuickReceiver(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)
	return srv
}
