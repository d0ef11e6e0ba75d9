package devserver_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/devserver"
)

// TestOwnChangesApplyToNextEvent: Logto's tests post events right after
// creating hooks, so a change through the server's own /hooks must apply to
// the very next event, even with a long cache TTL.
func TestOwnChangesApplyToNextEvent(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	rcv, ok := newReceiver(t, &status)
	srv, _ := run(t, devserver.Config{AllowPrivate: loopback, HookCacheTTL: time.Hour})
	if code, body := post(t, srv.URL+"/events", userCreated); code != http.StatusAccepted || !strings.Contains(body, `"deliveries":0`) {
		t.Fatalf("POST /events with no hooks = %d %s; want 0 deliveries (and a cached empty list)", code, body)
	}
	h := createHook(t, srv.URL, rcv.URL)
	rcv.SetKey(h.SigningKey)
	if code, body := post(t, srv.URL+"/events", userCreated); !strings.Contains(body, `"deliveries":1`) {
		t.Fatalf("POST /events right after POST /hooks = %d %s; want 1 delivery", code, body)
	}
	select {
	case <-ok:
	case <-time.After(10 * time.Second):
		t.Fatal("the new hook got no delivery")
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/hooks/"+h.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, body := post(t, srv.URL+"/events", userCreated); !strings.Contains(body, `"deliveries":0`) {
		t.Fatalf("POST /events right after DELETE = %d %s; want 0 deliveries", code, body)
	}
}

// TestBindFailure: a port in use is a one-line error naming the address, not
// a panic in Open's cleanup.
func TestBindFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	_, err = devserver.Open(devserver.Config{Addr: addr, DBPath: t.TempDir() + "/dev.db", Demo: true})
	if err == nil || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open on a busy port: error %v; want one line naming %s", err, addr)
	}
}

// TestListenAnyNeedsToken: an address reachable from the network is refused
// unless asked for with a token, which every ingest and management call must
// then carry.
func TestListenAnyNeedsToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		for _, cfg := range []devserver.Config{{Addr: addr}, {Addr: addr, ListenAny: true}} {
			cfg.DBPath = t.TempDir() + "/dev.db"
			if _, err := devserver.Open(cfg); !errors.Is(err, devserver.ErrExposed) {
				t.Errorf("Open(addr %s, listen-any %v, no token): error %v, want ErrExposed", addr, cfg.ListenAny, err)
			}
		}
	}
	srv, _ := run(t, devserver.Config{AccessToken: "s3cret"})
	if !srv.TokenRequired() {
		t.Error("TokenRequired() = false with a token")
	}
	for _, path := range []string{"/hooks", "/events", "/api/hooks"} {
		for token, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusUnauthorized, "s3cret": 0} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if (want != 0 && resp.StatusCode != want) || (want == 0 && resp.StatusCode == http.StatusUnauthorized) {
				t.Errorf("GET %s with token %q: %d", path, token, resp.StatusCode)
			}
		}
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz without a token: %v %v; want 200", resp, err)
	}
}
