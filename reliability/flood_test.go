package reliability_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Flood parameters: floodClients POST as fast as they can for floodFor (10x
// longer with WEBHOOKS_SOAK=1) against an ingest stack allowing floodSlots
// requests in flight, fewer than the clients so that 429s must appear.
const (
	floodClients  = 50
	floodFor      = 2 * time.Second
	floodSlots    = 8
	floodMaxGrow  = 200 << 20
	floodMaxPerCl = 100_000 // bounds each client's loop whatever the speed
)

// unsized hides a body's length, so the client sends it chunked and only the
// handler's MaxBytesReader can stop it.
type unsized struct{ io.Reader }

// TestIngestFlood floods POST /events of a dev-server-like stack (the ingest
// Service on the embedded backend, behind ingest.Limit, on 127.0.0.1) with
// valid single-record requests and oversized bodies, announced and chunked:
// the server survives, accepts some, answers only 202, 429 (with Retry-After)
// and 413, and its heap stays bounded.
func TestIngestFlood(t *testing.T) {
	dur := floodFor
	if soak() {
		dur *= 10
	}
	db, err := embedded.Open(filepath.Join(t.TempDir(), "flood.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// A subscribed hook makes every accepted record a queued job; no worker
	// runs, so nothing is ever sent to its URL.
	if err := db.PutHook(context.Background(), webhook.Hook{ID: "flood", Events: []webhook.Event{webhook.UserCreated},
		URL: "https://example.com/flood", SigningKey: webhook.NewSigningKey(), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	svc := ingest.New(ingest.Config{Hooks: db, Queue: db})
	mux := http.NewServeMux()
	mux.Handle("/events", ingest.Limit(svc, ingest.LimitConfig{MaxInFlight: floodSlots}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	big := bytes.Repeat([]byte("x"), webhook.MaxRequestBytes+1024)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floodClients, MaxConnsPerHost: floodClients}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	before := heapInuse()
	var peak atomic.Uint64
	peak.Store(before)
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sampling:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})

	var (
		mu         sync.Mutex
		statuses   = map[int]int{}
		errs       = map[string]int{}
		noRetryHdr atomic.Int64
	)
	deadline := time.Now().Add(dur)
	var clients sync.WaitGroup
	for c := range floodClients {
		clients.Go(func() {
			for i := 0; i < floodMaxPerCl && time.Now().Before(deadline); i++ {
				var body io.Reader
				switch i % 20 {
				case 7:
					body = bytes.NewReader(big)
				case 17:
					body = unsized{bytes.NewReader(big)}
				default:
					body = bytes.NewReader([]byte(`{"records":[` + userRecord(fmt.Sprintf("flood-%d-%d", c, i)) + `]}`))
				}
				resp, err := client.Post(srv.URL+"/events", "application/json", body)
				mu.Lock()
				if err != nil {
					errs[fmt.Sprintf("%T", err)]++
					mu.Unlock()
					continue
				}
				statuses[resp.StatusCode]++
				mu.Unlock()
				if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "1" {
					noRetryHdr.Add(1)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	clients.Wait()
	close(sampling)
	sampler.Wait()
	client.CloseIdleConnections()
	after := heapInuse()

	var codes []string
	total := 0
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		codes = append(codes, fmt.Sprintf("%d: %d", code, statuses[code]))
		total += statuses[code]
	}
	t.Logf("%d clients for %s, %d slots: %d responses (%.0f/s) %v, transport errors %v; heap in use %d MiB before, peak %d MiB, %d MiB after GC",
		floodClients, dur, floodSlots, total, float64(total)/dur.Seconds(), codes, errs, before>>20, peak.Load()>>20, after>>20)

	if statuses[http.StatusAccepted] == 0 || statuses[http.StatusTooManyRequests] == 0 || statuses[http.StatusRequestEntityTooLarge] == 0 {
		t.Errorf("statuses %v; want some 202, 429 and 413 each", codes)
	}
	for code := range statuses {
		if code != http.StatusAccepted && code != http.StatusTooManyRequests && code != http.StatusRequestEntityTooLarge {
			t.Errorf("%d responses with status %d; want only 202, 429 and 413", statuses[code], code)
		}
	}
	if n := noRetryHdr.Load(); n > 0 {
		t.Errorf("%d 429s without Retry-After: 1", n)
	}
	if grow := peak.Load() - before; grow > floodMaxGrow {
		t.Errorf("heap in use grew by %d MiB during the flood; want under %d MiB", grow>>20, floodMaxGrow>>20)
	}
	// The server must still serve normally once the flood is over.
	if status, out := post(t, srv.URL+"/events", []byte(`{"records":[`+userRecord("after-flood")+`]}`)); status != http.StatusAccepted {
		t.Errorf("POST after the flood = %d %s; want 202", status, out)
	}
}

// heapInuse returns the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
