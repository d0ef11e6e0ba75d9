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
)

// ErrInvalidURL marks a hook URL that can never be delivered to (not an absolute
// http or https URL). Like ErrForbiddenDestination it is permanent.
var ErrInvalidURL = errors.New("invalid destination URL")

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
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       cfg.TLSClientConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
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
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, fmt.Errorf("%w: cannot build a request to host %s", ErrInvalidURL, host)
	}
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", s.cfg.UserAgent)
	}

	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return Response{Latency: time.Since(start)}, describe(ctx, host, timeout, err)
	}
	defer resp.Body.Close()
	// A body cut short by a reset or the timeout still leaves a status: the
	// receiver answered, so the partial body is kept and no error returned.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
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
