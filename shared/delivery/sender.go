package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"
)

// ErrInvalidURL marks a hook URL that can never be delivered to (not an absolute
// http or https URL). Like ErrForbiddenDestination it is permanent.
var ErrInvalidURL = errors.New("invalid destination URL")

// ErrInvalidHeader marks a custom header that Go's HTTP client refuses to send
// (a hook item written by hand can hold one); it is permanent too.
var ErrInvalidHeader = errors.New("invalid custom header")

// Permanent reports whether a Post error can never go away by retrying: the
// URL, the destination or a header is wrong, and only an edit of the hook
// helps. The service dead-letters such jobs at once instead of retrying them
// for a day; after the edit they can be redriven.
func Permanent(err error) bool {
	return errors.Is(err, ErrInvalidURL) || errors.Is(err, ErrForbiddenDestination) || errors.Is(err, ErrInvalidHeader)
}

// errAttemptTimeout tells our own timeout from the caller's deadline.
var errAttemptTimeout = errors.New("attempt timed out")

// Sender defaults.
const (
	// DefaultUserAgent is the user-agent Logto sends.
	DefaultUserAgent = "Logto (https://logto.io/)"
	// DefaultMaxResponseBytes is how much of a response body is kept: enough
	// for an error message in the delivery log, not a memory hazard.
	DefaultMaxResponseBytes = 4096
	// maxDrain bounds how much more of a response is read (and dropped) so the
	// connection can be reused; beyond it the connection is closed instead.
	maxDrain = 64 << 10
	// DefaultMaxHeaderBytes caps a response's header block. Go's default (10
	// MiB) lets a hostile receiver grow the process by that much per attempt in
	// flight; a webhook receiver needs a few hundred bytes.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultBodyTimeout bounds reading the response body once the status has
	// arrived: the status decides the outcome, and a body that trickles must
	// not hold a worker for the rest of the timeout.
	DefaultBodyTimeout = time.Second
)

// SenderConfig configures a Sender; zero fields take the defaults.
type SenderConfig struct {
	// Policy refuses non-public destinations at dial time.
	Policy Policy
	// MaxResponseBytes caps the response body kept (default 4096).
	MaxResponseBytes int64
	// UserAgent is sent unless the request sets one (default DefaultUserAgent).
	UserAgent string
	// Timeout bounds an attempt, response body included, when the request sets
	// none (default DefaultTimeout, Logto's 10 s).
	Timeout time.Duration
	// Resolver resolves hook hosts at dial time (nil: net.DefaultResolver).
	Resolver *net.Resolver
	// TLSClientConfig overrides the TLS settings (nil: system roots), e.g. to
	// trust a private CA or a test server.
	TLSClientConfig *tls.Config
	// MaxHeaderBytes caps the response header block (default
	// DefaultMaxHeaderBytes); a larger one fails the attempt.
	MaxHeaderBytes int64
	// BodyTimeout bounds reading the response body after its headers (default
	// DefaultBodyTimeout); what arrived by then is kept.
	BodyTimeout time.Duration
}

// Sender POSTs deliveries. It keeps connections alive across deliveries (a
// warm Lambda reuses them), never follows redirects and refuses destinations
// its Policy forbids. It is safe for concurrent use.
type Sender struct {
	cfg    SenderConfig
	client *http.Client
}

// NewSender returns a Sender with cfg's zero fields defaulted.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	dialer := &net.Dialer{
		Timeout:   30 * time.Second, // the request context is usually shorter
		KeepAlive: 30 * time.Second,
		Resolver:  cfg.Resolver,
		// Control runs on the resolved address just before connect, so DNS
		// rebinding after CheckURL cannot reach a forbidden address.
		Control: cfg.Policy.control,
	}
	transport := &http.Transport{
		// No proxy: the policy checks the address dialled, which would be the
		// proxy's, so honouring HTTPS_PROXY would bypass it.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        cfg.TLSClientConfig,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1000,
		MaxIdleConnsPerHost:    100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: cfg.MaxHeaderBytes,
	}
	return &Sender{cfg: cfg, client: &http.Client{
		Transport: transport,
		// A 3xx is the receiver's answer, and a failure (docs/architecture.md §5); following
		// it would also let a public host bounce us to a private one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Request is one delivery attempt.
type Request struct {
	URL string
	// Header holds the custom and signature headers; content-type and
	// user-agent are added when absent. It is not modified.
	Header http.Header
	Body   []byte
	// Timeout overrides SenderConfig.Timeout when positive (a hook's timeoutMs).
	Timeout time.Duration
}

// Response is what came back from a receiver.
type Response struct {
	Status int
	// Body is the start of the response body, at most MaxResponseBytes.
	Body []byte
	// RetryAfter is the raw Retry-After header; see ParseRetryAfter.
	RetryAfter string
	// Latency runs from sending the request to reading the kept body.
	Latency time.Duration
}

// Post sends r. It returns an error only when no HTTP response arrived: a
// refused destination (wrapping ErrForbiddenDestination), an invalid URL
// (ErrInvalidURL), DNS, connect or TLS failures, resets and timeouts. Any
// status, 3xx and 5xx included, is a Response with a nil error. Errors name the
// host but not the full URL, whose path or query may carry a token.
func (s *Sender) Post(ctx context.Context, r Request) (Response, error) {
	u, err := parseDestination(r.URL)
	if err != nil {
		return Response{}, err
	}
	host := u.Hostname()
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = s.cfg.Timeout
	}
	// One context bounds the attempt and, cancelled early, cuts a slow body
	// (see below): a second context under it for the body would cost every
	// attempt a child registration before its POST.
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, fmt.Errorf("%w: cannot build a request to host %s", ErrInvalidURL, host)
	}
	// r.Header is the caller's: the request gets its own map, sized for the
	// two defaults, sharing the value slices, which nothing here or in the
	// client appends to or writes (Set replaces a slice).
	req.Header = make(http.Header, len(r.Header)+2)
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", s.cfg.UserAgent)
	}
	if err := checkHeader(req.Header); err != nil {
		return Response{}, err
	}

	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return Response{Latency: time.Since(start)}, describe(ctx, host, timeout, err)
	}
	defer resp.Body.Close()
	body := []byte{}
	if resp.Body != http.NoBody {
		// A body cut short by a reset, the timeout or BodyTimeout still
		// leaves a status: the receiver answered, so the partial body is
		// kept and no error returned. Cutting it closes the connection
		// instead of reusing it. (A 204, the usual answer, has no body to
		// read or time.)
		slow := time.AfterFunc(s.cfg.BodyTimeout, cancel)
		defer slow.Stop()
		body, _ = io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	}
	return Response{
		Status:     resp.StatusCode,
		Body:       body,
		RetryAfter: resp.Header.Get("Retry-After"),
		Latency:    time.Since(start),
	}, nil
}

// describe turns a client error into one naming the host and the cause, without
// the URL that url.Error would print.
func describe(ctx context.Context, host string, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrForbiddenDestination):
		return fmt.Errorf("post to host %s refused: %w", host, err)
	case context.Cause(ctx) == errAttemptTimeout:
		return fmt.Errorf("post to host %s: no response within %s: %w", host, timeout, context.DeadlineExceeded)
	case ctx.Err() != nil:
		return fmt.Errorf("post to host %s: %w", host, ctx.Err())
	}
	return fmt.Errorf("post to host %s: %w", host, err)
}

// checkHeader refuses headers Go's client would refuse to send, as a permanent
// error naming the header (never its value, which may be a credential).
func checkHeader(h http.Header) error {
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("%w: %q is not a valid header name", ErrInvalidHeader, k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("%w: the value of %s holds a character HTTP does not allow", ErrInvalidHeader, k)
			}
		}
	}
	return nil
}
