package ingest

import (
	"net/http"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// DefaultMaxInFlight is LimitConfig's default: enough concurrent requests to keep
// the queue busy, few enough that their bodies (at most 1 MiB each) stay small
// next to the process's memory.
const DefaultMaxInFlight = 64

// LimitConfig configures Limit. Every zero value selects a default.
type LimitConfig struct {
	// MaxInFlight bounds the requests being handled at once (default
	// DefaultMaxInFlight). Requests beyond it are answered 429 at once instead
	// of waiting, so a flood cannot pile up goroutines and buffered bodies.
	MaxInFlight int
	// MaxBodyBytes rejects, with the handler's 413, requests whose
	// Content-Length announces more, before they take a slot or a byte of the
	// body is read (default webhook.MaxRequestBytes). Bodies of unknown length
	// are left to the handler, which stops reading at its own limit.
	MaxBodyBytes int64
}

// Limit wraps an ingest handler (the dev server's POST /events) so that a
// request flood degrades into clear answers instead of unbounded memory: an
// announced body over MaxBodyBytes gets 413 request_too_large, and a request
// arriving while MaxInFlight are being handled gets 429 too_many_requests with
// Retry-After: 1, the signal producers already honour for retries. The Lambda
// needs no such guard: API Gateway throttles and caps bodies before it.
func Limit(h http.Handler, cfg LimitConfig) http.Handler {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = webhook.MaxRequestBytes
	}
	slots := make(chan struct{}, cfg.MaxInFlight)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > cfg.MaxBodyBytes {
			// The unread body makes the server close the connection after
			// this answer rather than read megabytes it would discard.
			writeError(w, tooLarge())
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, tooMany())
			return
		}
		defer func() { <-slots }()
		h.ServeHTTP(w, r)
	})
}

func tooMany() *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "too_many_requests",
		Message: "too many requests in progress; retry after the Retry-After delay"}
}
