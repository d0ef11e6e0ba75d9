// Package management is the hook management of Logto (the rules, bodies,
// status codes and error codes of packages/core/src/routes/hook.ts) over any
// webhook.HookStore and webhook.DeliveryLog. Service holds the rules; the HTTP
// API (NewHandler), the CLI and the web console are front ends over it, so
// Logto's console, scripts written for Logto and our CLI manage hooks the same
// way on AWS, in `webhooks dev` and in tests.
//
// Every change is a read-modify-write at the version read (see
// webhook.HookStore): on a conflict the Service re-reads and re-applies the
// change a few times, and only a hook that keeps changing gives ErrConflict,
// HTTP 409 {"code":"hook.conflict"}, with nothing written.
//
// Deliberate differences from Logto are listed in docs/logto-compatibility.md: the
// signing-key rotation keeps the previous key valid for a grace period, URLs are
// validated, unknown body fields are rejected, and the legacy single `event` field
// is folded into `events`.
package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Limits of the API.
const (
	// MaxBodyBytes caps request bodies; a hook is a few hundred bytes, so anything
	// near the cap is a mistake or an attack (413).
	MaxBodyBytes = 64 << 10
	// DefaultRotationGrace is how long a rotated-out signing key keeps signing
	// deliveries when Config.RotationGrace is zero (docs/architecture.md §4).
	DefaultRotationGrace = 24 * time.Hour
	// MaxRotationGrace bounds the grace a caller may ask for, so a leaked key cannot
	// be kept alive indefinitely by a rotation.
	MaxRotationGrace = 30 * 24 * time.Hour
)

type handler struct {
	svc *Service
	log *slog.Logger
}

// New returns the management API over a Service built from cfg; see NewHandler.
func New(cfg Config) http.Handler { return NewHandler(NewService(cfg)) }

// NewHandler returns the management API as an http.Handler serving /hooks...
// and, for clients written against Logto, the same routes under /api; and
// /sources..., the Logto tenants the relay accepts (docs/logto-relay.md). It
// parses and answers; every rule is the Service's.
func NewHandler(s *Service) http.Handler { return &handler{svc: s, log: s.log} }

// ServeHTTP routes by hand rather than with http.ServeMux so that unknown routes
// and wrong methods get the same JSON error shape as everything else.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") {
		p = p[len("/api"):]
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if segs[0] == "sources" && len(segs) <= 3 && (len(segs) == 1 || segs[1] != "") {
		h.serveSources(w, r, segs)
		return
	}
	if segs[0] != "hooks" || len(segs) > 3 || (len(segs) > 1 && segs[1] == "") {
		h.writeError(w, r, noRoute(r))
		return
	}
	type route map[string]func(http.ResponseWriter, *http.Request, string)
	var routes route
	switch len(segs) {
	case 1:
		routes = route{http.MethodGet: h.listHooks, http.MethodPost: h.createHook}
	case 2:
		routes = route{http.MethodGet: h.getHook, http.MethodPatch: h.updateHook, http.MethodDelete: h.deleteHook}
	case 3:
		switch segs[2] {
		case "signing-key":
			routes = route{http.MethodPatch: h.rotateKey}
		case "test":
			routes = route{http.MethodPost: h.testHook}
		case "recent-logs":
			routes = route{http.MethodGet: h.recentLogs}
		}
	}
	if routes == nil {
		h.writeError(w, r, noRoute(r))
		return
	}
	fn, ok := routes[r.Method]
	if !ok {
		allow := make([]string, 0, len(routes))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
			if routes[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.writeError(w, r, &Error{Kind: errMethod, Code: "route.method_not_allowed",
			Message: r.Method + " is not allowed on " + r.URL.Path})
		return
	}
	id := ""
	if len(segs) > 1 {
		id = segs[1]
	}
	fn(w, r, id)
}

// noRoute is the answer for a path the API does not serve.
func noRoute(r *http.Request) *Error {
	return &Error{Kind: ErrNotFound, Code: "route.not_found",
		Message: "no route for " + r.Method + " " + r.URL.Path}
}

// writeJSON writes v without HTML escaping, as Logto's JSON.stringify does, so URLs
// with & in them read back unchanged.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"code":"internal_error","message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError answers an *Error with its status and body; anything else is
// internal, logged and shown as "internal error".
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := errors.AsType[*Error](err); ok {
		writeJSON(w, e.status(), e)
		return
	}
	h.log.ErrorContext(r.Context(), "management api: internal error",
		"method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, &Error{Code: "internal_error", Message: "internal error"})
}
