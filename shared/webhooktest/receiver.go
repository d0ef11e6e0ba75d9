package webhooktest

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/signature"
)

// ReceiverOptions configures NewReceiver. Its zero value verifies both
// signatures (with the key given to SetKey) and answers 204.
type ReceiverOptions struct {
	// Tolerance bounds how far webhook-timestamp may be from the receiver's
	// clock; 0 means 5 minutes, what Standard Webhooks libraries use.
	Tolerance time.Duration
	// SkipVerify accepts requests without checking their signatures, for tests
	// that verify them elsewhere or do not know the hook's key.
	SkipVerify bool
	// Respond answers a request that passed verification, given its body (read
	// already, so r.Context() ends if the sender gives up). n counts the requests
	// so far for its webhook-id, 1 for the first, so a failure mode can depend
	// on it. It returns the status to answer; a 2xx status counts the request
	// as delivered; 0 answers nothing, for a sender that is gone, and is no
	// delivery. nil answers 204.
	Respond func(r *http.Request, body []byte, n int) int
}

// Receiver is a webhook endpoint for tests, the role of a customer's server: an
// httptest server on 127.0.0.1 that checks both signatures of every request
// (logto-signature-sha-256 and the Standard Webhooks trio) and counts 2xx
// answers by webhook-id, so a test can tell delivered from lost and count the
// duplicates that at-least-once delivery allows. It is safe for concurrent use.
type Receiver struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	srv      *httptest.Server
	opts     ReceiverOptions
	key      atomic.Pointer[string]
	requests atomic.Int64

	mu       sync.Mutex
	seen     map[string]int // webhook-id -> requests that passed verification
	ok       map[string]int // webhook-id -> 2xx answers
	bad      int
	firstBad string
}

// NewReceiver starts a receiver, closed when the test ends. Until SetKey is
// called every request fails verification (unless opts.SkipVerify), so a hook
// created after the receiver, whose key is known only then, cannot go unchecked.
func NewReceiver(t testing.TB, opts ReceiverOptions) *Receiver {
	t.Helper()
	if opts.Tolerance == 0 {
		opts.Tolerance = 5 * time.Minute
	}
	r := &Receiver{opts: opts, seen: map[string]int{}, ok: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

// SetKey sets the signing key requests must verify with.
func (r *Receiver) SetKey(key string) { r.key.Store(&key) }

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // the sender is gone
	}
	id := req.Header.Get(signature.HeaderID)
	if err := r.verify(req.Header, body); err != nil {
		r.mu.Lock()
		if r.bad++; r.bad == 1 {
			r.firstBad = id + ": " + err.Error()
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.seen[id]++
	n := r.seen[id]
	r.mu.Unlock()
	status := http.StatusNoContent
	if r.opts.Respond != nil {
		status = r.opts.Respond(req, body, n)
	}
	if status == 0 {
		return
	}
	if status >= 200 && status < 300 {
		r.mu.Lock()
		r.ok[id]++
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

// verify requires both schemes: signature.Verify alone accepts a request that
// carries only one of them.
func (r *Receiver) verify(h http.Header, body []byte) error {
	if r.opts.SkipVerify {
		return nil
	}
	key := r.key.Load()
	if key == nil {
		return errors.New("no key set (Receiver.SetKey)")
	}
	return errors.Join(signature.VerifyLogto(h, body, *key),
		signature.VerifyStandard(h, body, *key, r.opts.Tolerance, time.Now()))
}

// Requests returns how many requests arrived, whatever their answer.
func (r *Receiver) Requests() int64 { return r.requests.Load() }

// BadSignatures returns how many requests failed verification (answered 401)
// and the webhook-id and error of the first.
func (r *Receiver) BadSignatures() (n int, first string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad, r.firstBad
}

// Counts returns the number of distinct webhook-ids answered 2xx and the total
// of 2xx answers; total - unique is the duplicates.
func (r *Receiver) Counts() (unique, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.ok {
		total += n
	}
	return len(r.ok), total
}

// Delivered returns the webhook-ids answered 2xx, with how many times each was.
func (r *Receiver) Delivered() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.ok)
}

// Missing lists (up to 5 of) the wanted webhook-ids never answered 2xx.
func (r *Receiver) Missing(want []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range want {
		if r.ok[id] == 0 {
			out = append(out, id)
			if len(out) == 5 {
				break
			}
		}
	}
	return out
}

// Has reports whether every wanted webhook-id was answered 2xx and no other was.
func (r *Receiver) Has(want []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ok) != len(want) {
		return false
	}
	for _, id := range want {
		if r.ok[id] == 0 {
			return false
		}
	}
	return true
}
