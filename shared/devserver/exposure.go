package devserver

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
)

// ErrExposed is returned by Open for a non-loopback address without
// Config.ListenAny and Config.AccessToken.
var ErrExposed = errors.New("refusing to listen beyond this machine")

// checkExposure refuses an address reachable from other machines unless the
// user asked for it and set a token. Hosts other than loopback IPs and
// "localhost" count as reachable: an empty host (":3000") is every interface.
func checkExposure(addr string, listenAny bool, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %q: %v", addr, err)
	}
	if ip, perr := netip.ParseAddr(host); (perr == nil && ip.IsLoopback()) || host == "localhost" {
		return nil
	}
	switch {
	case !listenAny:
		return fmt.Errorf("%w: %s is reachable from the network, where anyone could read every signing key through /hooks; "+
			"keep a loopback address (127.0.0.1), or pass --listen-any with --access-token", ErrExposed, addr)
	case token == "":
		return fmt.Errorf("%w: --listen-any on %s needs --access-token (or WEBHOOKS_DEV_TOKEN), which every request must then carry", ErrExposed, addr)
	}
	return nil
}

// listenError says in one line why addr cannot be bound.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the address is already in use (another webhooks dev?); pick another with --addr", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("cannot listen on %s: no interface of this machine has that address", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges)", addr)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fmt.Errorf("cannot listen on %s: %v", addr, err)
}

// requireToken lets through only requests carrying "Authorization: Bearer
// token"; an empty token lets everything through (loopback use).
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="webhooks dev"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"this server requires Authorization: Bearer <access token>"}}`+"\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TokenRequired reports whether requests need Config.AccessToken.
func (s *Server) TokenRequired() bool { return s.cfg.AccessToken != "" }

// Exposed reports whether the server listens beyond loopback (ListenAny).
func (s *Server) Exposed() bool {
	return checkExposure(s.cfg.Addr, false, "") != nil
}

// CheckExposure is the rule Open applies to its address, for other servers
// that show what dev shows (`webhooks console`): loopback, or ListenAny with
// an access token.
func CheckExposure(addr string, listenAny bool, token string) error {
	return checkExposure(addr, listenAny, token)
}

// ListenError says in one line why addr cannot be bound.
func ListenError(addr string, err error) error { return listenError(addr, err) }
