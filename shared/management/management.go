// Package management serves the hook management API of Logto (routes, bodies,
// status codes and error codes of packages/core/src/routes/hook.ts) over any
// webhook.HookStore and webhook.DeliveryLog, so Logto's console, scripts written for
// Logto and our CLI manage hooks the same way on AWS, in `webhooks dev` and in tests.
//
// Deliberate differences from Logto are listed in docs/logto-compatibility.md: the
// signing-key rotation keeps the previous key valid for a grace period, URLs are
// validated, unknown body fields are rejected, and the legacy single `event` field
// is folded into `events`.
package management

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
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

// Config is what the API needs. Hooks is required; every other field has a usable
// zero value.
type Config struct {
	// Hooks stores the hooks the API manages.
	Hooks webhook.HookStore
	// Log answers recent-logs and execution stats. Nil: no logs and zero stats.
	Log webhook.DeliveryLog
	// Now is the clock (nil: time.Now); tests pin it.
	Now func() time.Time
	// CheckURL vets a destination when a hook is saved or tested, after the URL
	// passed webhook.ValidateURL; the SSRF policy of the delivery package plugs in
	// here. Its error is shown to the caller as the reason. Nil accepts any valid
	// http(s) URL.
	CheckURL func(ctx context.Context, url string) error
	// SendTest sends one signed test payload of event for hook to url with the
	// given custom headers, and returns the response status and body, or an error
	// when no response arrived. Nil: POST /hooks/:id/test answers 501.
	SendTest func(ctx context.Context, hook webhook.Hook, url string, headers map[string]string, event webhook.Event) (status int, body string, err error)
	// RotationGrace is how long the previous signing key stays valid after a
	// rotation when the request names no grace. Zero: DefaultRotationGrace;
	// negative: rotations are immediate, as in Logto.
	RotationGrace time.Duration
	// Logger receives internal errors, which clients only see as "internal error".
	// Nil: slog.Default().
	Logger *slog.Logger
}

type handler struct {
	cfg Config
	log *slog.Logger
}

// New returns the management API as an http.Handler serving /hooks... and, for
// clients written against Logto, the same routes under /api. It panics if
// cfg.Hooks is nil, a wiring mistake no request could recover from.
func New(cfg Config) http.Handler {
	if cfg.Hooks == nil {
		panic("management.New: Config.Hooks is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RotationGrace == 0 {
		cfg.RotationGrace = DefaultRotationGrace
	}
	if cfg.RotationGrace < 0 {
		cfg.RotationGrace = 0
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &handler{cfg: cfg, log: log}
}

// ServeHTTP routes by hand rather than with http.ServeMux so that unknown routes
// and wrong methods get the same JSON error shape as everything else.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") {
		p = p[len("/api"):]
	}
	segs := strings.Split(strings.Trim(p, "/"), "/")
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
		h.writeError(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "route.method_not_allowed",
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
func noRoute(r *http.Request) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "route.not_found",
		Message: "no route for " + r.Method + " " + r.URL.Path}
}

func (h *handler) now() time.Time { return h.cfg.Now() }
