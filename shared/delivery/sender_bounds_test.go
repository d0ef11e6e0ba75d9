package delivery_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
)

// TestPostBoundsWhatReceiversSend checks the limits on what a receiver can make
// an attempt hold: a header block over MaxHeaderBytes fails the attempt, and a
// 2xx whose body trickles is cut after BodyTimeout with its status kept.
func TestPostBoundsWhatReceiversSend(t *testing.T) {
	t.Run("header flood", func(t *testing.T) {
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			for i := range 200 { // 200 x 1 KiB, over the 64 KiB cap
				w.Header().Set("X-Flood-"+strconv.Itoa(i), strings.Repeat("f", 1024))
			}
			w.WriteHeader(http.StatusNoContent)
		})
		s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback})
		_, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL, Body: []byte(`{}`)})
		if err == nil || !strings.Contains(err.Error(), "headers exceeded") {
			t.Errorf("error = %v; want the header limit named", err)
		}
	})
	t.Run("trickling body", func(t *testing.T) {
		stop := make(chan struct{})
		rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			for {
				_, _ = w.Write([]byte("."))
				w.(http.Flusher).Flush()
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
		t.Cleanup(func() { close(stop) }) // before rcv.Close, which waits for the handler
		s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback, BodyTimeout: 300 * time.Millisecond})
		start := time.Now()
		resp, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL, Body: []byte(`{}`), Timeout: 10 * time.Second})
		if err != nil || resp.Status != http.StatusOK || len(resp.Body) == 0 {
			t.Fatalf("Post = %d %q, %v; want the 200 with the body received so far", resp.Status, resp.Body, err)
		}
		// Far below the 10 s timeout the body would otherwise hold it for.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Post took %s; want it cut after the 300 ms body timeout", took)
		}
	})
	t.Run("invalid port and header are permanent", func(t *testing.T) {
		s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback})
		_, err := s.Post(context.Background(), delivery.Request{URL: "http://127.0.0.1:99999/", Body: []byte(`{}`)})
		if !errors.Is(err, delivery.ErrInvalidURL) || !delivery.Permanent(err) {
			t.Errorf("port 99999: error = %v; want a permanent ErrInvalidURL", err)
		}
		_, err = s.Post(context.Background(), delivery.Request{URL: "http://127.0.0.1:1/", Body: []byte(`{}`),
			Header: http.Header{"X-Bad": {"line\x7fbreak"}}})
		if !errors.Is(err, delivery.ErrInvalidHeader) || !delivery.Permanent(err) || strings.Contains(err.Error(), "line") {
			t.Errorf("bad header value: error = %v; want a permanent ErrInvalidHeader that does not echo the value", err)
		}
	})
}
