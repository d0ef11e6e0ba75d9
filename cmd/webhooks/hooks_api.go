package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// hookAPI is the management Service over the selected backend, so the CLI
// validates and answers exactly as the HTTP API does.
type hookAPI struct {
	svc *management.Service
	b   *backend.Backend
}

func (env *hooksEnv) api(cmd *cobra.Command, n backend.Need) (*hookAPI, error) {
	allow, err := delivery.ParseCIDRs(env.allowPrivate)
	if err != nil {
		return nil, fmt.Errorf("--allow-private: %w", err)
	}
	b, err := env.backend.open(cmd, n|backend.NeedHooks)
	if err != nil {
		return nil, err
	}
	policy := delivery.Policy{AllowPrivate: allow}
	svc := management.NewService(management.Config{
		Hooks:    b.Hooks,
		Sources:  b.Sources,
		Log:      b.Log,
		Now:      cliNow,
		CheckURL: management.CheckDestination(policy, "pass --allow-private (here and to webhooks dev), e.g."),
		Poster:   delivery.NewSender(delivery.SenderConfig{Policy: policy}),
		// The operator running the CLI sees why a store failed.
		Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)),
	})
	return &hookAPI{svc: svc, b: b}, nil
}

// withAPI opens the backend (the hooks store and what n adds), runs fn against
// the Service and closes the backend again.
func (env *hooksEnv) withAPI(cmd *cobra.Command, n backend.Need, fn func(api *hookAPI) error) error {
	api, err := env.api(cmd, n)
	if err != nil {
		return err
	}
	defer api.b.Close()
	return fn(api)
}

// runE is a RunE for a subcommand that needs nothing before the backend opens.
func (env *hooksEnv) runE(n backend.Need, fn func(cmd *cobra.Command, args []string, api *hookAPI) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return env.withAPI(cmd, n, func(api *hookAPI) error { return fn(cmd, args, api) })
	}
}

// hookE is a RunE for a subcommand on the hook its argument names: fn gets
// the hook as read, with stats when n opens the delivery log.
func (env *hooksEnv) hookE(n backend.Need, fn func(cmd *cobra.Command, api *hookAPI, h management.HookJSON) error) func(*cobra.Command, []string) error {
	return env.runE(n, func(cmd *cobra.Command, args []string, api *hookAPI) error {
		h, err := api.get(cmd, args[0])
		if err != nil {
			return err
		}
		return fn(cmd, api, h)
	})
}

// flagOf names the CLI flag behind an API field, so errors point at the flag.
func flagOf(field string) string {
	switch {
	case field == "config.url":
		return "--url"
	case strings.HasPrefix(field, "config.headers"):
		return "--header"
	case field == "config.retries":
		return "--retries"
	case field == "config.timeoutMs":
		return "--timeout"
	case strings.HasPrefix(field, "events"):
		return "--events"
	case field == "name":
		return "--name"
	}
	return field
}

// explain turns a Service error into what the CLI user should read: the flag
// at fault, the missing id, the endpoint's answer.
func (a *hookAPI) explain(err error, id string) error {
	e, ok := errors.AsType[*management.Error](err)
	if !ok {
		return fmt.Errorf("the backend (%s) failed: %w", a.b.Where, err)
	}
	switch {
	case errors.Is(e, management.ErrNotFound):
		return fmt.Errorf("no hook with id %q in %s (webhooks hooks list shows the ids)", id, a.b.Where)
	case errors.Is(e, management.ErrConflict):
		return fmt.Errorf("hook %s kept changing while this command applied its change (deliveries or another user); nothing was changed, run it again", id)
	}
	if f, ok := e.Data.(management.TestFailure); ok {
		body := strings.TrimSpace(f.ResponseBody)
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		if body != "" {
			return fmt.Errorf("the endpoint answered %d: %s", f.ResponseStatus, body)
		}
		return fmt.Errorf("the endpoint answered %d", f.ResponseStatus)
	}
	if e.Field != "" {
		return fmt.Errorf("%s: %s", flagOf(e.Field), strings.TrimPrefix(e.Message, e.Field+": "))
	}
	return errors.New(e.Message)
}

// get reads one hook, with its stats when the delivery log is open.
func (a *hookAPI) get(cmd *cobra.Command, id string) (management.HookJSON, error) {
	h, err := a.svc.GetHook(cmd.Context(), id)
	if err != nil {
		return management.HookJSON{}, a.explain(err, id)
	}
	return a.view(cmd, h)
}

// view is h as the API shows it, with stats when the delivery log is open.
func (a *hookAPI) view(cmd *cobra.Command, h webhook.Hook) (management.HookJSON, error) {
	j := management.ToJSON(h, cliNow())
	if a.b.Log != nil {
		st, err := a.svc.Stats(cmd.Context(), h.ID)
		if err != nil {
			return j, a.explain(err, h.ID)
		}
		j.ExecutionStats = &st
	}
	return j, nil
}
