package ingest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
	"github.com/logto-webhooks/webhooks/shared/webhooktest"
)

// errorCode returns the code of an ingest error body, "" if it is not one.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("body %q is not JSON: %v", body, err)
	}
	return e.Error.Code
}

// TestLimitInFlight fills every slot with requests held inside the handler:
// the next request is refused with 429 at once, and a freed slot serves again.
func TestLimitInFlight(t *testing.T) {
	tests := []struct {
		name string
		cfg  ingest.LimitConfig
		want int // slots
	}{
		{name: "default", cfg: ingest.LimitConfig{}, want: ingest.DefaultMaxInFlight},
		{name: "configured", cfg: ingest.LimitConfig{MaxInFlight: 3}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan struct{})
			release := make(chan struct{})
			h := ingest.Limit(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				entered <- struct{}{}
				<-release
				w.WriteHeader(http.StatusAccepted)
			}), tt.cfg)
			serve := func() *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/events", strings.NewReader("{}")))
				return rec
			}

			var held sync.WaitGroup
			for range tt.want {
				held.Go(func() {
					if rec := serve(); rec.Code != http.StatusAccepted {
						t.Errorf("held request = %d; want 202", rec.Code)
					}
				})
				<-entered
			}
			extra := make(chan *httptest.ResponseRecorder, 1)
			go func() { extra <- serve() }()
			select {
			case rec := <-extra:
				if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
					t.Errorf("request %d = %d, Retry-After %q; want 429 with Retry-After 1", tt.want+1, rec.Code, rec.Header().Get("Retry-After"))
				}
				if code := errorCode(t, rec.Body.Bytes()); code != "too_many_requests" {
					t.Errorf("429 error code = %q; want too_many_requests", code)
				}
			case <-entered:
				t.Errorf("request %d reached the handler; want it refused with %d slots", tt.want+1, tt.want)
				held.Go(func() { <-extra })
			}
			close(release)
			held.Wait()
			go func() { <-entered }()
			if rec := serve(); rec.Code != http.StatusAccepted {
				t.Errorf("request after the slots were freed = %d; want 202", rec.Code)
			}
		})
	}
}

// countingReader yields n bytes of a JSON-ish filler and counts what was read.
type countingReader struct {
	n, read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), c.n-c.read)
	for i := range p[:k] {
		p[i] = 'x'
	}
	c.read += k
	return int(k), nil
}

// TestLimitBodies checks that oversized bodies are refused without reading
// them: by Content-Length in Limit, and by the handler's MaxBytesReader when the
// length is unknown (chunked). Neither may read much past 1 MiB of a 64 MiB body.
func TestLimitBodies(t *testing.T) {
	svc := ingest.New(ingest.Config{Hooks: webhooktest.NewMemoryHookStore(), Queue: webhooktest.NewMemoryQueue(8, 0)})
	h := ingest.Limit(svc, ingest.LimitConfig{})
	const huge = 64 << 20
	tests := []struct {
		name          string
		contentLength int64
		maxRead       int64
	}{
		{name: "announced", contentLength: huge, maxRead: 0},
		{name: "chunked", contentLength: -1, maxRead: webhook.MaxRequestBytes + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingReader{n: huge}
			req := httptest.NewRequest(http.MethodPost, "/events", body)
			req.ContentLength = tt.contentLength
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d; want 413", rec.Code)
			}
			if code := errorCode(t, rec.Body.Bytes()); code != "request_too_large" {
				t.Errorf("error code = %q; want request_too_large", code)
			}
			if body.read > tt.maxRead {
				t.Errorf("read %d bytes of the body; want at most %d", body.read, tt.maxRead)
			}
		})
	}
}
