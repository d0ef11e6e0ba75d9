package delivery_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
)

// allowLoopback reaches httptest servers, which listen on 127.0.0.1 only.
var allowLoopback = delivery.Policy{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

// receiver is a test endpoint that counts the connections and requests it gets.
type receiver struct {
	*httptest.Server
	conns, hits atomic.Int32
	last        atomic.Pointer[http.Request]
	lastBody    atomic.Pointer[[]byte]
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		b, _ := io.ReadAll(req.Body)
		r.last.Store(req)
		r.lastBody.Store(&b)
		if h != nil {
			h(w, req)
		}
	}))
	r.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func TestPost(t *testing.T) {
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, strings.Repeat("x", 10000))
	})
	s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback, MaxResponseBytes: 100})
	h := http.Header{}
	h.Set("X-Custom", "1")
	body := []byte(`{"event":"User.Created","hookId":"h1"}`)
	resp, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL + "/hook?token=t", Header: h, Body: body})
	if err != nil {
		t.Fatalf("Post = %v, want a response", err)
	}
	if resp.Status != http.StatusServiceUnavailable {
		t.Errorf("Status = %d, want 503", resp.Status)
	}
	if len(resp.Body) != 100 {
		t.Errorf("len(Body) = %d, want the 100-byte cap", len(resp.Body))
	}
	if resp.RetryAfter != "120" {
		t.Errorf("RetryAfter = %q, want 120", resp.RetryAfter)
	}
	if resp.Latency <= 0 {
		t.Errorf("Latency = %s, want > 0", resp.Latency)
	}
	req := rcv.last.Load()
	for name, want := range map[string]string{
		"Content-Type": "application/json",
		"User-Agent":   "Logto (https://logto.io/)",
		"X-Custom":     "1",
	} {
		if got := req.Header.Get(name); got != want {
			t.Errorf("received %s = %q, want %q", name, got, want)
		}
	}
	if req.Method != http.MethodPost || req.URL.RequestURI() != "/hook?token=t" {
		t.Errorf("received %s %s, want POST /hook?token=t", req.Method, req.URL.RequestURI())
	}
	if got := string(*rcv.lastBody.Load()); got != string(body) {
		t.Errorf("received body %s, want %s", got, body)
	}
	if h.Get("Content-Type") != "" {
		t.Error("Post modified the caller's header")
	}
}

func TestPostHeadersSetByCaller(t *testing.T) {
	rcv := newReceiver(t, nil)
	s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback, UserAgent: "ours"})
	h := http.Header{}
	h.Set("content-type", "application/cloudevents+json")
	h.Set("user-agent", "custom-agent")
	if _, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL, Header: h}); err != nil {
		t.Fatal(err)
	}
	req := rcv.last.Load()
	if got := req.Header.Get("Content-Type"); got != "application/cloudevents+json" {
		t.Errorf("content-type = %q, want the caller's", got)
	}
	if got := req.Header.Get("User-Agent"); got != "custom-agent" {
		t.Errorf("user-agent = %q, want the caller's", got)
	}
	if _, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL}); err != nil {
		t.Fatal(err)
	}
	if got := rcv.last.Load().Header.Get("User-Agent"); got != "ours" {
		t.Errorf("user-agent = %q, want the configured one", got)
	}
}

func TestPostRedirectNotFollowed(t *testing.T) {
	target := newReceiver(t, nil)
	tests := []struct {
		name, location string
	}{
		{"to another allowed server", target.URL + "/elsewhere"},
		{"to the metadata address", "http://169.254.169.254/latest/meta-data/"},
		{"to a private address", "http://10.0.0.1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.location, http.StatusFound)
			})
			s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback})
			resp, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL})
			if err != nil {
				t.Fatalf("Post = %v, want the 302 as a response", err)
			}
			if resp.Status != http.StatusFound {
				t.Errorf("Status = %d, want 302", resp.Status)
			}
			if n := target.hits.Load(); n != 0 {
				t.Errorf("redirect target got %d requests, want 0", n)
			}
		})
	}
}

// TestPostRefused is the SSRF matrix: every destination is refused before a
// connection is made, with an error naming host and address.
func TestPostRefused(t *testing.T) {
	rcv := newReceiver(t, nil)
	port := rcv.Listener.Addr().(*net.TCPAddr).Port
	local := func(host string) string { return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/hook" }
	tests := []struct {
		name    string
		policy  delivery.Policy
		url     string
		wantMsg string
	}{
		{name: "loopback", url: local("127.0.0.1"), wantMsg: "127.0.0.1 is a loopback address"},
		{name: "loopback other port", url: "http://127.0.0.1:9001/", wantMsg: "127.0.0.1 is a loopback address"},
		{name: "private 10/8", policy: allowLoopback, url: "http://10.0.0.1/", wantMsg: "10.0.0.1 is a private address"},
		{name: "private 172.16/12", url: "http://172.16.0.1/", wantMsg: "172.16.0.1 is a private address"},
		{name: "private 192.168/16", url: "https://192.168.1.1/", wantMsg: "192.168.1.1 is a private address"},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data/", wantMsg: "169.254.169.254 is a link-local"},
		{name: "IPv6 loopback", url: "http://[::1]:9001/", wantMsg: "::1 is a loopback address"},
		{name: "unspecified", url: "http://0.0.0.0:9001/", wantMsg: "0.0.0.0 is an unspecified"},
		{name: "mapped loopback", url: "http://[::ffff:127.0.0.1]:9001/", wantMsg: "loopback"},
		{name: "hostname resolving to loopback", url: local("localhost"), wantMsg: "loopback"},
		{name: "allow-list is exact", policy: allowLoopback, url: "http://127.0.0.2:9001/", wantMsg: "127.0.0.2 is a loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := delivery.NewSender(delivery.SenderConfig{Policy: tt.policy})
			resp, err := s.Post(context.Background(), delivery.Request{URL: tt.url, Body: []byte(`{}`)})
			if !errors.Is(err, delivery.ErrForbiddenDestination) {
				t.Fatalf("Post(%s) = %+v, %v; want ErrForbiddenDestination", tt.url, resp, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "post to host ") {
				t.Errorf("Post(%s) = %q, want it to name the host and contain %q", tt.url, err, tt.wantMsg)
			}
			if resp.Status != 0 {
				t.Errorf("Status = %d, want 0", resp.Status)
			}
		})
	}
	if n := rcv.conns.Load(); n != 0 {
		t.Errorf("the loopback receiver saw %d connections, want 0", n)
	}
}

// TestPostDNSRebinding: a host that looked public when the hook was saved but
// resolves to a private address at delivery is refused at dial time.
func TestPostDNSRebinding(t *testing.T) {
	rcv := newReceiver(t, nil)
	port := strconv.Itoa(rcv.Listener.Addr().(*net.TCPAddr).Port)
	url := "http://rebind.test:" + port + "/"
	atSave := fakeResolver(map[string][]string{"rebind.test": {"93.184.215.14"}})
	if err := (delivery.Policy{}).CheckURL(context.Background(), url, atSave); err != nil {
		t.Fatalf("CheckURL at save time = %v, want nil", err)
	}
	atDelivery := fakeResolver(map[string][]string{"rebind.test": {"127.0.0.1"}})
	s := delivery.NewSender(delivery.SenderConfig{Resolver: atDelivery})
	_, err := s.Post(context.Background(), delivery.Request{URL: url})
	if !errors.Is(err, delivery.ErrForbiddenDestination) || !strings.Contains(err.Error(), "post to host rebind.test refused") {
		t.Fatalf("Post after rebinding = %v, want a refusal naming rebind.test", err)
	}
	if n := rcv.conns.Load(); n != 0 {
		t.Errorf("receiver saw %d connections, want 0", n)
	}
	// The same resolver with loopback allowed reaches the receiver, so the
	// refusal above came from the policy and not from DNS.
	s = delivery.NewSender(delivery.SenderConfig{Resolver: atDelivery, Policy: allowLoopback})
	if resp, err := s.Post(context.Background(), delivery.Request{URL: url}); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Post with loopback allowed = %+v, %v; want 200", resp, err)
	}
}

func TestPostFailures(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		req     delivery.Request
		wantErr error
		wantMsg string
	}{
		{name: "timeout", req: delivery.Request{URL: slow.URL, Timeout: 50 * time.Millisecond}, wantErr: context.DeadlineExceeded, wantMsg: "post to host 127.0.0.1: no response within 50ms"},
		{name: "connection refused", req: delivery.Request{URL: closedURL}, wantMsg: "connection refused"},
		{name: "caller canceled", ctx: canceled, req: delivery.Request{URL: slow.URL}, wantErr: context.Canceled, wantMsg: "post to host 127.0.0.1: context canceled"},
		{name: "not http", req: delivery.Request{URL: "ftp://example.com/"}, wantErr: delivery.ErrInvalidURL},
		{name: "relative URL", req: delivery.Request{URL: "/hook"}, wantErr: delivery.ErrInvalidURL},
		{name: "unparsable URL", req: delivery.Request{URL: "http://[::1"}, wantErr: delivery.ErrInvalidURL},
		{name: "empty URL", req: delivery.Request{}, wantErr: delivery.ErrInvalidURL},
	}
	s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := s.Post(ctx, tt.req)
			if err == nil {
				t.Fatal("Post = nil error, want one")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Post = %v, want errors.Is %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Post = %q, want it to contain %q", err, tt.wantMsg)
			}
			if errors.Is(err, delivery.ErrForbiddenDestination) {
				t.Errorf("Post = %v, must not be ErrForbiddenDestination", err)
			}
		})
	}
}

func TestPostErrorHidesURL(t *testing.T) {
	s := delivery.NewSender(delivery.SenderConfig{})
	_, err := s.Post(context.Background(), delivery.Request{URL: "http://10.0.0.1/hook?token=secret-token"})
	if err == nil || strings.Contains(err.Error(), "secret-token") {
		t.Errorf("Post = %v, want an error without the URL's query", err)
	}
}

func TestPostReusesConnections(t *testing.T) {
	rcv := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		// A body larger than the cap but within the drain bound.
		_, _ = io.WriteString(w, strings.Repeat("y", 20000))
	})
	s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback})
	for i := range 5 {
		if _, err := s.Post(context.Background(), delivery.Request{URL: rcv.URL, Body: []byte(`{}`)}); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
	}
	if n := rcv.conns.Load(); n != 1 {
		t.Errorf("5 sequential posts used %d connections, want 1", n)
	}
}

func TestPostHTTP2(t *testing.T) {
	var proto atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		proto.Store(int32(r.ProtoMajor))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	s := delivery.NewSender(delivery.SenderConfig{Policy: allowLoopback, TLSClientConfig: tlsConfig})
	resp, err := s.Post(context.Background(), delivery.Request{URL: srv.URL})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Post = %+v, %v; want 200", resp, err)
	}
	if got := proto.Load(); got != 2 {
		t.Errorf("request used HTTP/%d, want HTTP/2", got)
	}
}
