// Package devserver runs the whole pipeline in one process on the embedded
// SQLite backend: the ingest endpoint, delivery workers, the hook management API
// and, optionally, a demo receiver that checks signatures. It is what
// `webhooks dev` runs, and what end-to-end tests and benchmarks start, so all
// three exercise the same wiring (docs/architecture.md §7).
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/console"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/embedded"
	"github.com/logto-webhooks/webhooks/shared/hookcache"
	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/management"
)

// Defaults of Config's zero values.
const (
	// DefaultAddr listens on loopback only: without an access token the
	// management API (which shows signing keys) and ingest (which gets events
	// signed) are open to whoever reaches the port.
	DefaultAddr = "127.0.0.1:3000"
	// DefaultDBPath is relative to the working directory, so each checkout has
	// its own hooks and queue.
	DefaultDBPath = ".webhooks/dev.db"
	// DefaultWorkers bounds the deliveries in flight.
	DefaultWorkers = delivery.DefaultConcurrency
	// DefaultHookCacheTTL is short because hooks edited by the CLI (another
	// process) should take effect at once; reading SQLite is cheap. Edits made
	// through the server's own /hooks apply to the very next event whatever
	// the TTL (hookcache.Watched).
	DefaultHookCacheTTL = time.Second
	// ShutdownTimeout bounds how long Run waits for ingest requests in progress.
	ShutdownTimeout = 10 * time.Second
)

// Config configures a Server. Every zero value selects a default.
type Config struct {
	// Addr is the listen address of the ingest and management endpoints
	// (default DefaultAddr; "127.0.0.1:0" picks a free port). An address that
	// is not loopback needs ListenAny and AccessToken.
	Addr string
	// ListenAny allows a non-loopback Addr ("0.0.0.0:3000", ":3000"). It is an
	// explicit choice because anyone who reaches the port could read every
	// signing key and get forged events signed, so it requires AccessToken.
	ListenAny bool
	// AccessToken, when set, must be sent as "Authorization: Bearer TOKEN" by
	// every ingest and management request (GET /healthz excepted).
	AccessToken string
	// DBPath is the SQLite file (default DefaultDBPath).
	DBPath string
	// Schedule is the retry schedule (default delivery.DefaultSchedule). The
	// queue dead-letters a job after Schedule.Attempts() attempts.
	Schedule delivery.Schedule
	// AllowPrivate lists non-public destinations hooks may use. With Demo the
	// receiver's loopback address is added.
	AllowPrivate []netip.Prefix
	// Isolation bounds what one hook may take of the workers (see
	// delivery.IsolationConfig; its MaxInFlight defaults to Workers).
	Isolation delivery.IsolationConfig
	// Workers bounds concurrent deliveries (default DefaultWorkers).
	Workers int
	// Visibility is how long a received job stays hidden from other workers
	// (default embedded.DefaultVisibility). After a crash, jobs in flight are
	// delivered again once it has passed; it must exceed the delivery timeout.
	Visibility time.Duration
	// PollInterval is how often idle workers look for jobs (default embedded's).
	PollInterval time.Duration
	// HookCacheTTL bounds how long edits to hooks take to be seen
	// (default DefaultHookCacheTTL).
	HookCacheTTL time.Duration
	// Demo starts a receiver on 127.0.0.1 that verifies and prints every
	// delivery, and points a hook named DemoHookName (created or reused) at it.
	Demo bool
	// DemoOut receives the demo receiver's report of each delivery (nil: discard).
	DemoOut io.Writer
	// DemoNotify, if set, is called with each delivery the demo receiver gets.
	DemoNotify func(DemoDelivery)
	// Logger receives the services' logs (nil: discard).
	Logger *slog.Logger
	// Now is the clock of the services (nil: time.Now).
	Now func() time.Time
	// ReplayWindow bounds how old (or how far in the future) a relayed Logto
	// body's createdAt may be (default ingest.DefaultReplayWindow).
	ReplayWindow time.Duration
}

// Server is the running pipeline. Create it with Open, then call Run.
type Server struct {
	// URL is the base URL of ingest and management, e.g. http://127.0.0.1:3000.
	URL string
	// ConsoleURL is the web console's address, e.g. http://127.0.0.1:3000/console/.
	ConsoleURL string
	// DB is the embedded backend; tests inspect the queue and log through it.
	// Run closes it.
	DB *embedded.DB
	// Schedule is the retry schedule in use.
	Schedule delivery.Schedule
	// Workers is the number of concurrent deliveries.
	Workers int
	// Backend is DB as the stores every front end uses (the console among
	// them).
	Backend *backend.Backend
	// Demo is the demo receiver, nil without Config.Demo.
	Demo *Demo

	cfg      Config
	log      *slog.Logger
	listener net.Listener
	http     *http.Server
	worker   *delivery.Worker
	runOnce  sync.Once
}

// Open opens the database, binds the listener and, with Demo, starts the demo
// receiver and saves its hook. Nothing is served or delivered until Run. On
// error everything opened is closed again.
func Open(cfg Config) (_ *Server, err error) {
	cfg.Addr = cmp.Or(cfg.Addr, DefaultAddr)
	cfg.DBPath = cmp.Or(cfg.DBPath, DefaultDBPath)
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = delivery.DefaultSchedule
	}
	cfg.Workers = cmp.Or(max(cfg.Workers, 0), DefaultWorkers)
	cfg.HookCacheTTL = cmp.Or(cfg.HookCacheTTL, DefaultHookCacheTTL)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := checkExposure(cfg.Addr, cfg.ListenAny, cfg.AccessToken); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// s stays set when Open fails, so the closers below can use it.
	s := &Server{Schedule: cfg.Schedule, Workers: cfg.Workers, cfg: cfg, log: log}
	var closers []func()
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
	}()

	s.DB, err = embedded.Open(cfg.DBPath, embedded.Options{
		MaxAttempts:  cfg.Schedule.Attempts(),
		Visibility:   cfg.Visibility,
		PollInterval: cfg.PollInterval,
	})
	if err != nil {
		return nil, err
	}
	closers = append(closers, func() { _ = s.DB.Close() })
	// The services get their stores from the Backend, as the CLI and the
	// functions do; s.DB stays for tests that look inside the file.
	s.Backend = s.DB.Backend(cfg.DBPath)

	policy := delivery.Policy{AllowPrivate: cfg.AllowPrivate}
	if cfg.Demo {
		s.Demo, err = startDemo(cfg.DemoOut, cfg.DemoNotify, s.Backend.Hooks, cfg.Now)
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { _ = s.Demo.close() })
		policy.AllowPrivate = append(policy.AllowPrivate, s.Demo.prefix())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.Demo.Hook, err = ensureDemoHook(ctx, s.Backend.Hooks, s.Demo.URL, cfg.Now())
		cancel()
		if err != nil {
			return nil, err
		}
	}

	s.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, listenError(cfg.Addr, err)
	}
	closers = append(closers, func() { _ = s.listener.Close() })
	s.URL = "http://" + s.listener.Addr().String()

	// One store for all three services, counting its writes, so that their
	// hook caches see a change made through /hooks at once.
	b := s.Backend
	hooks := hookcache.Watch(b.Hooks)
	sender := delivery.NewSender(delivery.SenderConfig{Policy: policy})
	svc := delivery.NewService(delivery.Config{
		Hooks:        hooks,
		Poster:       sender,
		Log:          b.Log,
		Schedule:     cfg.Schedule,
		HookCacheTTL: cfg.HookCacheTTL,
		Concurrency:  cfg.Workers,
		Isolation:    cfg.Isolation,
		Now:          cfg.Now,
		Logger:       log,
	})
	s.worker = &delivery.Worker{Service: svc, Queue: b.Queue, Logger: log}
	in := ingest.New(ingest.Config{Hooks: hooks, Queue: b.Queue, HookCacheTTL: cfg.HookCacheTTL, Now: cfg.Now, Logger: log,
		Sources: b.Sources, ReplayWindow: cfg.ReplayWindow})
	mgmtSvc := management.NewService(management.Config{
		Hooks:    hooks,
		Sources:  b.Sources,
		Log:      b.Log,
		Now:      cfg.Now,
		CheckURL: management.CheckDestination(policy, "start webhooks dev with --allow-private"),
		Poster:   sender,
		Logger:   log,
	})
	// The console shares the API's Service (and so its watched store): a
	// change made in the console applies to the very next event too.
	// The relay is served here too, so the Sources pages show the address
	// the browser used, a tunnel's included.
	con := console.New(console.Config{
		Backend: b, Service: mgmtSvc, AccessToken: cfg.AccessToken, Now: cfg.Now, Logger: log, SameOriginRelay: true,
	})
	s.ConsoleURL = s.URL + con.Prefix() + "/"
	s.http = &http.Server{
		Handler:           routes(in, in.RelayHandler(), management.NewHandler(mgmtSvc), con, cfg.AccessToken),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// routes serves POST /events, the relay POST /logto/{sourceId}, the management
// API under /hooks, /api/hooks and /sources, the console under /console/ (and
// / leads there), and GET /healthz; anything else is a JSON 404 naming the
// routes.
func routes(in, relay, mgmt http.Handler, con *console.Console, token string) http.Handler {
	mux := http.NewServeMux()
	// Bounded in-flight requests: a flood gets 429s, not unbounded memory.
	mux.Handle("/events", requireToken(token, ingest.Limit(in, ingest.LimitConfig{})))
	// Logto cannot send the access token's header on its own; the relay's
	// authentication is the source's signature, as on AWS.
	mux.Handle(ingest.RelayPathPrefix, ingest.Limit(relay, ingest.LimitConfig{}))
	mgmt = requireToken(token, mgmt)
	for _, p := range []string{"/hooks", "/hooks/", "/api/hooks", "/api/hooks/", "/sources", "/sources/"} {
		mux.Handle(p, mgmt)
	}
	// The console checks the same token itself, from a header or its login
	// cookie, since a browser cannot add the header to a page load.
	mux.Handle(con.Prefix()+"/", con)
	mux.Handle("GET /{$}", http.RedirectHandler(con.Prefix()+"/", http.StatusFound))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no route; use POST /events, POST /logto/{sourceId}, /hooks, /sources, GET /healthz or open / (the console) in a browser"}}`+"\n")
	})
	return mux
}

// Run serves and delivers until ctx ends, then shuts down gracefully: it stops
// accepting connections, lets ingest requests in progress finish (up to
// ShutdownTimeout), lets deliveries in flight finish (each bounded by its
// timeout), stops the demo receiver and closes the database. Accepted jobs are
// in the database from the moment ingest answers 202, so even a process that is
// killed loses none: the next Run delivers them. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	err := errors.New("devserver: Run called twice")
	s.runOnce.Do(func() { err = s.run(ctx) })
	return err
}

func (s *Server) run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	var workers sync.WaitGroup
	workers.Go(func() { _ = s.worker.Run(workCtx) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.listener) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serve %s: %w", s.URL, err)
	}
	s.log.Info("dev server: shutting down; finishing deliveries in flight")
	stopWork()
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	if serr := s.http.Shutdown(shutCtx); serr != nil {
		_ = s.http.Close()
	}
	cancel()
	workers.Wait()
	if s.Demo != nil {
		_ = s.Demo.close()
	}
	if cerr := s.DB.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
