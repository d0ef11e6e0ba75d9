package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// exampleRecord is the record the banner and the README's quick start post: a
// user created through the Management API, which fires User.Created.
const exampleRecord = `{"records":[{"type":"managementApi","id":"req-1","method":"POST","path":"/api/users","status":200,"responseBody":{"id":"u1","username":"alice","primaryEmail":"alice@example.com"}}]}`

func newDevCmd() *cobra.Command {
	var (
		cfg      devserver.Config
		schedule string
		allow    string
		verbose  bool
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run ingest, delivery and hook management on this machine (SQLite, no AWS)",
		Long: `dev runs the whole pipeline in one process on an embedded SQLite file: POST /events
(ingest, as the Lambda), delivery workers with the retry schedule and dead-letter queue,
and Logto's hook management API under /hooks and /api/hooks. It listens on 127.0.0.1.
Other addresses are refused unless you pass --listen-any and an access token
(--access-token or WEBHOOKS_DEV_TOKEN) that every /events and /hooks request must send as
"Authorization: Bearer TOKEN": /hooks shows every signing key.

--demo also starts a receiver on 127.0.0.1 that verifies both signatures of every
delivery and prints it, and points a hook named "demo" (created once, then reused) at it.

Ctrl-C (or SIGTERM) stops taking requests, lets deliveries in flight finish and exits.
Jobs live in the database from the moment POST /events answers 202: after a crash or
kill -9, the next start delivers them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Schedule, err = delivery.ParseSchedule(schedule); err != nil {
				return fmt.Errorf("--retry-schedule: %w", err)
			}
			if cfg.AllowPrivate, err = delivery.ParseCIDRs(allow); err != nil {
				return fmt.Errorf("--allow-private: %w", err)
			}
			if cfg.Workers < 1 {
				return fmt.Errorf("--workers must be at least 1")
			}
			if cfg.Isolation.MaxInFlight < 0 || cfg.Isolation.MaxInFlight > webhook.MaxInFlight {
				return fmt.Errorf("--hook-max-in-flight must be 0 to %d", webhook.MaxInFlight)
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			if cfg.AccessToken == "" {
				cfg.AccessToken = os.Getenv(devTokenEnv)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			cfg.DemoOut = cmd.OutOrStdout()
			srv, err := devserver.Open(cfg)
			if err != nil {
				return err
			}
			banner(cmd.OutOrStdout(), srv, cfg.DBPath)
			return srv.Run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.Addr, "addr", devserver.DefaultAddr, "listen address; a non-loopback one needs --listen-any and --access-token")
	fs.BoolVar(&cfg.ListenAny, "listen-any", false, "allow a non-loopback --addr (anyone reaching it with the token can read signing keys)")
	fs.StringVar(&cfg.AccessToken, "access-token", "", "require Authorization: Bearer TOKEN on /events and /hooks (default $"+devTokenEnv+")")
	fs.StringVar(&cfg.DBPath, "db", devserver.DefaultDBPath, "the SQLite file holding hooks, queue and delivery log")
	fs.BoolVar(&cfg.Demo, "demo", false, "start a receiver that verifies and prints deliveries, with a hook pointing at it")
	fs.StringVar(&schedule, "retry-schedule", delivery.DefaultSchedule.String(), "delays before each attempt, the first 0s; its length is the attempt count")
	fs.StringVar(&allow, "allow-private", "", "non-public destinations hooks may use, CIDR,... (e.g. 127.0.0.1 or 10.0.0.0/8)")
	fs.IntVar(&cfg.Workers, "workers", devserver.DefaultWorkers, "deliveries in flight at once")
	fs.IntVar(&cfg.Isolation.MaxInFlight, "hook-max-in-flight", 0,
		"most deliveries one hook may have in flight (0: --workers; a hook's own maxInFlight and a slow or failing hook get fewer)")
	fs.DurationVar(&cfg.Visibility, "visibility-timeout", 60*time.Second, "how long a job being delivered is hidden; after a crash it is retried then (keep it above the delivery timeout)")
	fs.BoolVar(&verbose, "verbose", false, "debug logs")
	return cmd
}

// devTokenEnv holds the access token when --access-token is not given, which
// keeps it out of the process list.
const devTokenEnv = "WEBHOOKS_DEV_TOKEN"

// banner tells the reader where everything is and what to try. It never shows
// signing keys: `webhooks hooks get ID` does, when asked.
func banner(w io.Writer, srv *devserver.Server, db string) {
	fmt.Fprintf(w, "webhooks dev listening on %s (database %s)\n", srv.URL, db)
	fmt.Fprintf(w, "  POST %s/events       ingest records\n", srv.URL)
	fmt.Fprintf(w, "       %s/hooks        hook management (Logto's API; also under /api/hooks)\n", srv.URL)
	fmt.Fprintf(w, "  POST %s/logto/{id}   relay of an existing Logto's webhooks (webhooks sources)\n", srv.URL)
	fmt.Fprintf(w, "  GET  %s/healthz\n", srv.URL)
	fmt.Fprintf(w, "console %s  (hooks, live deliveries, dead-letter queue)\n", srv.ConsoleURL)
	fmt.Fprintf(w, "  retry schedule %s (%d attempts), %d workers\n", srv.Schedule, srv.Schedule.Attempts(), srv.Workers)
	auth := ""
	if srv.TokenRequired() {
		where := "every"
		if srv.Exposed() {
			where = "reachable from the network, so every"
		}
		fmt.Fprintf(w, "  %s /events and /hooks request needs the access token (the console asks for it once)\n", where)
		auth = " -H 'authorization: Bearer <access token>'"
	}
	if srv.Demo != nil {
		fmt.Fprintf(w, "demo receiver on %s: hook %q (%s) gets all %d events;\n", srv.Demo.URL, devserver.DemoHookName, srv.Demo.Hook.ID, len(webhook.Catalog()))
		fmt.Fprintln(w, "  it verifies both signatures of every delivery and prints it here.")
		fmt.Fprintf(w, "  make it fail: curl -X POST '%s?fail=503' (fail=0 recovers)\n", strings.TrimSuffix(srv.Demo.URL, "/webhook")+devserver.DemoControlPath)
	}
	fmt.Fprintf(w, "Try:\n  curl -sS %s/events -H 'content-type: application/json'%s \\\n    -d '%s'\n", srv.URL, auth, exampleRecord)
	fmt.Fprintln(w, "Ctrl-C stops; queued jobs stay in the database for the next start.")
}
