// Package console is the web console: hooks with their 24 h health, one hook's
// settings and actions, its deliveries (live) and attempts, a 24 h chart, and
// the dead-letter queue with redrive, and the Logto relay's sources. It is one
// http.Handler over a backend.Backend and a management.Service, so `webhooks
// console` (the local file or an AWS stack) and `webhooks dev` serve the same
// pages, and every hook and source action goes through the rules the
// management API applies.
//
// Pages are html/template with their assets embedded; the only script is
// htmx, vendored under assets/. Every state-changing request is a POST checked
// by http.CrossOriginProtection, and a signing key reaches the browser only in
// the answer to the POST its "reveal" button makes.
package console

import (
	"cmp"
	"crypto/subtle"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/management"
)

// DefaultPrefix is where the console lives: under its own path, because
// /hooks is the management API's in `webhooks dev`.
const DefaultPrefix = "/console"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Config is what the console needs. Backend (its Log and Dead) and Service
// are required. With Backend.Sources the console serves the relay's Sources
// pages, through Service, which must then have the same sources store.
type Config struct {
	// Backend supplies the delivery log and the dead-letter queue. Hooks are
	// read and changed through Service only.
	Backend *backend.Backend
	// Service is hook management, the same one the API and the CLI use.
	Service *management.Service
	// Prefix is the path the console is served under (default DefaultPrefix).
	Prefix string
	// AccessToken, when set, is required: as "Authorization: Bearer TOKEN" or
	// through the login form, which sets an HttpOnly cookie.
	AccessToken string
	// UserAgent is the user-agent deliveries carry, shown in attempts
	// (default delivery.DefaultUserAgent).
	UserAgent string
	// Refresh is how often live parts of pages poll (default 2 s).
	Refresh time.Duration
	// RelayURL is the base of the relay URLs the Sources pages show, up to
	// "/logto", where the relay is not served beside the console (`webhooks
	// console` on the local file: webhooks dev's address). Empty: the
	// backend's (a stack's RelayUrl output), else the page says where to
	// find it.
	RelayURL string
	// SameOriginRelay says the relay is served beside the console (webhooks
	// dev): a source's relay URL is then the address the browser reached the
	// console at, a tunnel's included, + /logto/{id}. It wins over RelayURL.
	SameOriginRelay bool
	// Sections are extra pages listed in the navigation, each served under
	// Prefix + "/" + Path + "/".
	Sections []Section
	// Now is the clock (nil: time.Now); tests pin it.
	Now func() time.Time
	// Logger receives internal errors, which pages show only as "internal
	// error" (nil: slog.Default()).
	Logger *slog.Logger
}

// Section is a page another package adds to the console. Handler gets the
// request with the section's prefix kept and serves the whole page.
type Section struct {
	Name    string
	Path    string
	Handler http.Handler
}

// Console serves the pages. Create it with New.
type Console struct {
	cfg  Config
	log  *slog.Logger
	tpl  *templates
	mux  *http.ServeMux
	h    http.Handler
	mu   sync.Mutex
	jobs map[string]*redriveJob
}

// New returns the console. It panics if Backend or Service is missing, a
// wiring mistake.
func New(cfg Config) *Console {
	if cfg.Backend == nil || cfg.Service == nil {
		panic("console.New: Config.Backend and Config.Service are required")
	}
	cfg.Prefix = strings.TrimSuffix(cmp.Or(cfg.Prefix, DefaultPrefix), "/")
	cfg.UserAgent = cmp.Or(cfg.UserAgent, delivery.DefaultUserAgent)
	cfg.Refresh = cmp.Or(cfg.Refresh, 2*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, log: cmp.Or(cfg.Logger, slog.Default()), jobs: map[string]*redriveJob{}}
	c.tpl = parseTemplates(c)
	c.mux = http.NewServeMux()
	c.routes()
	// Cross-site POSTs (a page elsewhere submitting a form here) are refused
	// by their Sec-Fetch-Site or Origin header; GETs change nothing.
	c.h = http.NewCrossOriginProtection().Handler(c.auth(c.mux))
	return c
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.h.ServeHTTP(w, r) }

// Prefix is the path the console is served under, without a trailing slash.
func (c *Console) Prefix() string { return c.cfg.Prefix }

func (c *Console) routes() {
	p := c.cfg.Prefix
	assets, _ := fs.Sub(assetFS, "assets")
	c.mux.Handle("GET "+p+"/assets/", http.StripPrefix(p+"/assets/", cacheAssets(http.FileServerFS(assets))))
	c.mux.HandleFunc("GET "+p+"/{$}", c.hooksPage)
	c.mux.HandleFunc("GET "+p+"/login", c.loginPage)
	c.mux.HandleFunc("POST "+p+"/login", c.login)
	c.mux.HandleFunc("GET "+p+"/hooks/{id}", c.hookPage)
	c.mux.HandleFunc("GET "+p+"/hooks/{id}/deliveries", c.deliveriesFragment)
	c.mux.HandleFunc("GET "+p+"/hooks/{id}/chart", c.chartFragment)
	c.mux.HandleFunc("GET "+p+"/hooks/{id}/attempts/{delivery}/{attempt}", c.attemptPage)
	c.mux.HandleFunc("POST "+p+"/hooks/{id}/key", c.revealKey)
	c.mux.HandleFunc("POST "+p+"/hooks/{id}/enabled", c.setEnabled)
	c.mux.HandleFunc("POST "+p+"/hooks/{id}/rotate", c.rotateKey)
	c.mux.HandleFunc("POST "+p+"/hooks/{id}/test", c.testHook)
	c.mux.HandleFunc("POST "+p+"/hooks/{id}/edit", c.editHook)
	c.mux.HandleFunc("GET "+p+"/dlq", c.dlqPage)
	c.mux.HandleFunc("POST "+p+"/dlq/redrive", c.startRedrive)
	c.mux.HandleFunc("GET "+p+"/dlq/redrive/{job}", c.redriveProgress)
	if c.hasSources() {
		c.mux.HandleFunc("GET "+p+"/sources", c.sourcesPage)
		c.mux.HandleFunc("POST "+p+"/sources", c.submitSource("source-create-form", c.createSource))
		c.mux.HandleFunc("GET "+p+"/sources/{id}", c.sourcePage)
		c.mux.HandleFunc("POST "+p+"/sources/{id}/key", c.revealSourceKey)
		c.mux.HandleFunc("POST "+p+"/sources/{id}/enabled", c.setSourceEnabled)
		c.mux.HandleFunc("POST "+p+"/sources/{id}/name", c.submitSource("source-name-form", c.renameSource))
		c.mux.HandleFunc("POST "+p+"/sources/{id}/signing-key", c.submitSource("source-key-form", c.setSourceKey))
		c.mux.HandleFunc("POST "+p+"/sources/{id}/rotate", c.submitSource("source-rotate-form", c.rotateSource))
		c.mux.HandleFunc("POST "+p+"/sources/{id}/delete", c.deleteSource)
	}
	for _, s := range c.cfg.Sections {
		c.mux.Handle(p+"/"+strings.Trim(s.Path, "/")+"/", s.Handler)
	}
}

// cacheAssets lets browsers keep the embedded assets for an hour; they only
// change with the binary.
func cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// cookieName holds the access token's digest after a login.
const cookieName = "webhooks_console"

// auth requires the access token, when there is one, on everything but the
// login page and the assets.
func (c *Console) auth(next http.Handler) http.Handler {
	if c.cfg.AccessToken == "" {
		return next
	}
	want := []byte(tokenDigest(c.cfg.AccessToken))
	bearer := []byte("Bearer " + c.cfg.AccessToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := c.cfg.Prefix
		if r.URL.Path == p+"/login" || strings.HasPrefix(r.URL.Path, p+"/assets/") {
			next.ServeHTTP(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), bearer) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		if ck, err := r.Cookie(cookieName); err == nil && subtle.ConstantTimeCompare([]byte(ck.Value), want) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("HX-Request") != "" {
			w.Header().Set("HX-Redirect", p+"/login")
		}
		http.Redirect(w, r, p+"/login", http.StatusSeeOther)
	})
}
