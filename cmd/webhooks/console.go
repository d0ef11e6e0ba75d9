package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/console"
	"github.com/logto-webhooks/webhooks/shared/devserver"
)

// defaultConsoleAddr is next to webhooks dev's port, on loopback for the same
// reason: the console reveals signing keys.
const defaultConsoleAddr = "127.0.0.1:3001"

func newConsoleCmd() *cobra.Command {
	var (
		env       hooksEnv
		addr      string
		listenAny bool
		token     string
	)
	cmd := &cobra.Command{
		Use:   "console",
		Short: "Serve the web console for hooks, deliveries, the dead-letter queue and relay sources (locally or on AWS)",
		Long: `console serves the web console on 127.0.0.1:3001 against the local database of
webhooks dev (--db) or a deployed stack (--stack NAME, or the table and queue flags), with
your AWS credentials. webhooks dev serves the same console at its own address. The
Sources pages appear when the backend has a sources table (the local file always, a
stack when it has one, or --sources-table).

It listens on loopback only: the console reveals signing keys on request. Another address
needs --listen-any and an access token (--access-token or WEBHOOKS_DEV_TOKEN), which the
console asks for once and keeps in a cookie.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = os.Getenv(devTokenEnv)
			}
			if err := devserver.CheckExposure(addr, listenAny, token); err != nil {
				return err
			}
			api, err := env.api(cmd, backend.NeedHooks|backend.NeedLog|backend.NeedDead|backend.WantSources)
			if err != nil {
				return err
			}
			defer api.b.Close()
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			relay := "" // on AWS: the stack's RelayUrl, which the backend carries
			if !env.backend.onAWS() {
				relay = "http://" + devserver.DefaultAddr + "/logto" // where webhooks dev serves it by default
			}
			con := console.New(console.Config{Backend: api.b, Service: api.svc, AccessToken: token, Logger: logger, RelayURL: relay})
			mux := http.NewServeMux()
			mux.Handle(con.Prefix()+"/", con)
			mux.Handle("GET /{$}", http.RedirectHandler(con.Prefix()+"/", http.StatusFound))
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return devserver.ListenError(addr, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "webhooks console on http://%s%s/ (%s); Ctrl-C stops\n", ln.Addr(), con.Prefix(), api.b.Where)
			return serveUntilDone(cmd.Context(), ln, mux, logger)
		},
	}
	env.backend.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&env.backend.aws.SourcesTable, "sources-table", "", "AWS: the relay's sources DynamoDB table (overrides the stack's)")
	fs.StringVar(&env.allowPrivate, "allow-private", "", "allow these non-public destinations (CIDR,...) when editing or testing hooks")
	fs.StringVar(&addr, "addr", defaultConsoleAddr, "listen address; a non-loopback one needs --listen-any and --access-token")
	fs.BoolVar(&listenAny, "listen-any", false, "allow a non-loopback --addr")
	fs.StringVar(&token, "access-token", "", "require this token (default $"+devTokenEnv+")")
	return cmd
}

// serveUntilDone serves until ctx ends, then lets requests in progress finish.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
