package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/backend"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// hooksEnv is what every hooks subcommand shares: the backend flags and the
// allow-list for non-public destinations.
type hooksEnv struct {
	backend      backendFlags
	allowPrivate string
}

func newHooksCmd() *cobra.Command {
	env := &hooksEnv{}
	cmd := &cobra.Command{
		Use:   "hooks",
		Short: "Create, list, change, test and delete hooks (locally or on AWS)",
		Long: `Manage hooks in the local database of webhooks dev (default --db .webhooks/dev.db,
which may be open in a running webhooks dev) or in a deployed stack (--stack NAME, or
--hooks-table and --deliveries-table). The commands apply the rules of the management
API: the same validation, the same JSON with --json.`,
	}
	env.backend.register(cmd)
	cmd.PersistentFlags().StringVar(&env.allowPrivate, "allow-private", "",
		"allow these non-public destinations (CIDR,...), e.g. 127.0.0.1 for a receiver on this machine")
	cmd.AddCommand(
		newHooksCreateCmd(env), newHooksListCmd(env), newHooksGetCmd(env), newHooksUpdateCmd(env),
		newHookActionCmd(env, "delete ID", "Delete a hook; its queued deliveries are dropped", "Deleted",
			func(ctx context.Context, s *management.Service, id string) error { return s.DeleteHook(ctx, id) }),
		newHookActionCmd(env, "enable ID", "Enable a hook (also clears why the service disabled it)", "Enabled",
			func(ctx context.Context, s *management.Service, id string) error {
				_, err := s.SetEnabled(ctx, id, true)
				return err
			}),
		newHookActionCmd(env, "disable ID", "Disable a hook; its deliveries are dropped until it is enabled", "Disabled",
			func(ctx context.Context, s *management.Service, id string) error {
				_, err := s.SetEnabled(ctx, id, false)
				return err
			}),
		newHooksRotateCmd(env), newHooksTestCmd(env), newHooksStatsCmd(env),
	)
	return cmd
}

// hookFlags are the settings create and update share.
type hookFlags struct {
	url      string
	events   []string
	name     string
	headers  []string
	retries  int
	timeout  time.Duration
	inFlight int
	disabled bool
	asJSON   bool
}

func (f *hookFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.url, "url", "", "the endpoint deliveries are POSTed to (http or https)")
	fs.StringSliceVar(&f.events, "events", nil, "events to subscribe to, comma-separated (webhooks events list)")
	fs.StringVar(&f.name, "name", "", "a name for people")
	fs.StringArrayVar(&f.headers, "header", nil, "a custom header sent with every delivery, as Name:value (repeatable)")
	fs.IntVar(&f.retries, "retries", 0, fmt.Sprintf("retries after the first attempt, 0-%d (-1: the whole retry schedule, the default)", webhook.MaxRetries))
	fs.DurationVar(&f.timeout, "timeout", 0, fmt.Sprintf("per-attempt timeout, up to %s (default 10s)", webhook.MaxTimeout))
	fs.IntVar(&f.inFlight, "max-in-flight", 0, "most attempts at this hook one delivery process runs at once (0: the service's default)")
	fs.BoolVar(&f.disabled, "disabled", false, "save the hook disabled (update: --disabled=false enables it)")
	fs.BoolVar(&f.asJSON, "json", false, "print the hook as the management API's JSON")
}

// config builds the hook's config from the flags on top of base: an update
// replaces the whole config, so it starts from the stored one.
func (f *hookFlags) config(cmd *cobra.Command, base management.ConfigJSON) (*management.HookConfig, error) {
	changed := cmd.Flags().Changed
	c := management.HookConfig(base)
	if changed("url") {
		c.URL = f.url
	}
	if changed("header") {
		c.Headers = map[string]string{}
		for _, h := range f.headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("--header %q: want Name:value", h)
			}
			c.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if len(c.Headers) == 0 {
		c.Headers = nil
	}
	if changed("retries") {
		r := f.retries
		c.Retries = &r
		if r < 0 {
			c.Retries = nil
		}
	}
	if changed("timeout") {
		if f.timeout < time.Millisecond && f.timeout != 0 {
			return nil, errors.New("--timeout: must be at least 1ms (or 0 for the default)")
		}
		c.TimeoutMs = f.timeout.Milliseconds()
	}
	if changed("max-in-flight") {
		if f.inFlight < 0 || f.inFlight > webhook.MaxInFlight {
			return nil, fmt.Errorf("--max-in-flight: must be 0 to %d", webhook.MaxInFlight)
		}
		c.MaxInFlight = f.inFlight
	}
	return &c, nil
}

func newHooksCreateCmd(env *hooksEnv) *cobra.Command {
	var f hookFlags
	cmd := &cobra.Command{
		Use:   "create --url URL --events E1,E2 [flags]",
		Short: "Create a hook; prints it with its signing key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.url == "" {
				return errors.New("--url is required")
			}
			events, err := parseEventList("events", f.events)
			if err != nil {
				return err
			}
			if len(events) == 0 {
				return errors.New("--events is required: name at least one event (webhooks events list)")
			}
			config, err := f.config(cmd, management.ConfigJSON{})
			if err != nil {
				return err
			}
			enabled := !f.disabled
			in := management.HookInput{Events: events, Config: config, Enabled: &enabled}
			if f.name != "" {
				in.Name = &f.name
			}
			return env.withAPI(cmd, 0, func(api *hookAPI) error {
				created, err := api.svc.CreateHook(cmd.Context(), in)
				if err != nil {
					return fmt.Errorf("create hook: %w", api.explain(err, ""))
				}
				h := management.ToJSON(created, cliNow())
				return printResult(cmd, f.asJSON, h, func(w io.Writer) error { return printHook(w, h, true) })
			})
		},
	}
	f.register(cmd)
	return cmd
}

func newHooksListCmd(env *hooksEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List hooks, newest first, with their last 24 h of deliveries",
		Args:  cobra.NoArgs,
		RunE: env.runE(backend.WantLog, func(cmd *cobra.Command, _ []string, api *hookAPI) error {
			list, err := api.svc.ListHooks(cmd.Context())
			if err != nil {
				return fmt.Errorf("list hooks: %w", api.explain(err, ""))
			}
			hooks := make([]management.HookJSON, 0, len(list))
			for _, hook := range list {
				h, err := api.view(cmd, hook)
				if err != nil {
					return fmt.Errorf("list hooks: %w", err)
				}
				h.SigningKey = ""
				hooks = append(hooks, h)
			}
			return printResult(cmd, asJSON, hooks, func(w io.Writer) error { return printHookList(w, hooks, api.b.Where) })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON array (without signing keys)")
	return cmd
}

func newHooksGetCmd(env *hooksEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a hook with its signing key and last 24 h of deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: env.hookE(backend.WantLog, func(cmd *cobra.Command, _ *hookAPI, h management.HookJSON) error {
			return printResult(cmd, asJSON, h, func(w io.Writer) error { return printHook(w, h, true) })
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON")
	return cmd
}

func newHooksUpdateCmd(env *hooksEnv) *cobra.Command {
	var f hookFlags
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change a hook's URL, events, name, headers, retries, timeout or state",
		Long: `Update changes only what the flags name. --header replaces all custom headers
(give it once per header); --retries -1 and --timeout 0 go back to the defaults.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			changed := cmd.Flags().Changed
			var in management.HookInput
			if changed("events") {
				events, err := parseEventList("events", f.events)
				if err != nil {
					return err
				}
				if len(events) == 0 {
					return errors.New("--events: name at least one event")
				}
				in.Events = events
			}
			if changed("name") {
				in.Name = &f.name
			}
			if changed("disabled") {
				enabled := !f.disabled
				in.Enabled = &enabled
			}
			id := args[0]
			return env.withAPI(cmd, 0, func(api *hookAPI) error {
				if changed("url") || changed("header") || changed("retries") || changed("timeout") || changed("max-in-flight") {
					// The config is replaced whole, so the flags apply to the
					// stored one. A concurrent config change between this read
					// and the update is replaced, as by a PATCH of config.
					cur, err := api.get(cmd, id)
					if err != nil {
						return err
					}
					if in.Config, err = f.config(cmd, cur.Config); err != nil {
						return err
					}
				}
				if in.Events == nil && in.Name == nil && in.Enabled == nil && in.Config == nil {
					return errors.New("nothing to change: give --url, --events, --name, --header, --retries, --timeout, --max-in-flight or --disabled")
				}
				updated, err := api.svc.UpdateHook(cmd.Context(), id, in)
				if err != nil {
					return fmt.Errorf("update hook %s: %w", id, api.explain(err, id))
				}
				h := management.ToJSON(updated, cliNow())
				h.SigningKey = ""
				return printResult(cmd, f.asJSON, h, func(w io.Writer) error {
					fmt.Fprintf(w, "Updated hook %s.\n", h.ID)
					return printHook(w, h, false)
				})
			})
		},
	}
	f.register(cmd)
	return cmd
}

// newHookActionCmd builds delete, enable and disable: one call on the hook
// named by the argument, then "<done> hook ID.".
func newHookActionCmd(env *hooksEnv, use, short, done string, action func(ctx context.Context, s *management.Service, id string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: env.runE(0, func(cmd *cobra.Command, args []string, api *hookAPI) error {
			if err := action(cmd.Context(), api.svc, args[0]); err != nil {
				return api.explain(err, args[0])
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s hook %s.\n", done, args[0])
			return err
		}),
	}
}

func newHooksRotateCmd(env *hooksEnv) *cobra.Command {
	var grace time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rotate-key ID [--grace 24h]",
		Short: "Give a hook a new signing key; the old one keeps signing for a grace period",
		Long: `rotate-key generates a new signing key and prints it. For --grace (default 24h)
deliveries carry a second webhook-signature made with the previous key, so Standard
Webhooks receivers keep verifying until they switch; logto-signature-sha-256 uses
the new key at once. --grace 0s drops the old key immediately, as Logto does.`,
		Args: cobra.ExactArgs(1),
		RunE: env.runE(0, func(cmd *cobra.Command, args []string, api *hookAPI) error {
			var g *time.Duration
			if cmd.Flags().Changed("grace") {
				g = &grace
			}
			rotated, err := api.svc.RotateKey(cmd.Context(), args[0], g)
			if err != nil {
				return fmt.Errorf("rotate signing key: %w", api.explain(err, args[0]))
			}
			h := management.ToJSON(rotated, cliNow())
			return printResult(cmd, asJSON, h, func(w io.Writer) error { return printRotated(w, h) })
		}),
	}
	cmd.Flags().DurationVar(&grace, "grace", management.DefaultRotationGrace, "how long the previous key keeps signing (0s: not at all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the hook as the management API's JSON")
	return cmd
}

func newHooksTestCmd(env *hooksEnv) *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use:   "test ID [--event E]",
		Short: "Send a signed test payload to a hook's URL now, from this machine",
		Long: `test POSTs Logto's test payload of one event (default: the hook's first) to the
hook's URL with its headers and signatures, from this machine, and reports the answer.
It is neither queued nor retried nor logged, and works for disabled hooks.`,
		Args: cobra.ExactArgs(1),
		RunE: env.hookE(0, func(cmd *cobra.Command, api *hookAPI, h management.HookJSON) error {
			e := webhook.PostRegister
			if len(h.Events) > 0 {
				e = webhook.Event(h.Events[0])
			}
			if event != "" {
				var err error
				if e, err = webhook.ParseEvent(event); err != nil {
					return fmt.Errorf("--event: %w", err)
				}
			}
			config := management.HookConfig{URL: h.Config.URL, Headers: h.Config.Headers}
			if err := api.svc.TestHook(cmd.Context(), h.ID, []webhook.Event{e}, config); err != nil {
				return fmt.Errorf("test hook %s: %w", h.ID, api.explain(err, h.ID))
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "Sent a signed %s test payload to %s: the endpoint answered 2xx.\n", e, h.Config.URL)
			return err
		}),
	}
	cmd.Flags().StringVar(&event, "event", "", "the event of the test payload (default: the hook's first event)")
	return cmd
}

func newHooksStatsCmd(env *hooksEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats ID",
		Short: "Show a hook's delivery attempts and successes of the last 24 h",
		Args:  cobra.ExactArgs(1),
		RunE: env.hookE(backend.NeedLog, func(cmd *cobra.Command, _ *hookAPI, h management.HookJSON) error {
			s := webhook.Stats{}
			if h.ExecutionStats != nil {
				s = *h.ExecutionStats
			}
			return printResult(cmd, asJSON, s, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Hook %s, last 24 h: %s\n", h.ID, statsText(s))
				return err
			})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"requestCount":N,"successCount":M}`)
	return cmd
}
