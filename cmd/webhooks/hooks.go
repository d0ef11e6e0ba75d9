package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/devserver"
	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/signature"
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
		newHooksDeleteCmd(env), newHooksEnableCmd(env, true), newHooksEnableCmd(env, false),
		newHooksRotateCmd(env), newHooksTestCmd(env), newHooksStatsCmd(env),
	)
	return cmd
}

// hookAPI runs management API requests in process against the selected
// backend, so the CLI validates and answers exactly as the HTTP API does.
type hookAPI struct {
	h http.Handler
	b *backend
}

func (env *hooksEnv) api(cmd *cobra.Command, n need) (*hookAPI, error) {
	allow, err := delivery.ParseCIDRs(env.allowPrivate)
	if err != nil {
		return nil, fmt.Errorf("--allow-private: %w", err)
	}
	b, err := env.backend.open(cmd, n|needHooks)
	if err != nil {
		return nil, err
	}
	policy := delivery.Policy{AllowPrivate: allow}
	h := management.New(management.Config{
		Hooks:    b.hooks,
		Log:      b.log,
		Now:      cliNow,
		CheckURL: devserver.CheckURL(policy, "pass --allow-private (here and to webhooks dev), e.g."),
		SendTest: devserver.SendTest(delivery.NewSender(delivery.SenderConfig{Policy: policy}), cliNow),
		// The API answers "internal error"; the operator running the CLI sees why.
		Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)),
	})
	return &hookAPI{h: h, b: b}, nil
}

// apiError is the management API's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Field          string `json:"field"`
		ResponseStatus int    `json:"responseStatus"`
		ResponseBody   string `json:"responseBody"`
	} `json:"data"`
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

// do sends one request and decodes a 2xx JSON answer into out (if not nil).
func (a *hookAPI) do(cmd *cobra.Command, method, path string, body any, out any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequestWithContext(cmd.Context(), method, path, r)
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	if rec.Code >= 200 && rec.Code < 300 {
		if out != nil && rec.Code != http.StatusNoContent {
			if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
				return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
			}
		}
		return nil
	}
	var e apiError
	if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Message == "" {
		return fmt.Errorf("%s %s: status %d", method, path, rec.Code)
	}
	switch e.Code {
	case "entity.not_exists_with_id", "entity.not_exists", "entity.not_found":
		id, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(path, "/hooks/"), "/hooks"), "/")
		id, _, _ = strings.Cut(id, "?")
		return fmt.Errorf("no hook with id %q in %s (webhooks hooks list shows the ids)", id, a.b.where)
	case "internal_error":
		return fmt.Errorf("%s %s failed; the backend (%s) reported an internal error", method, path, a.b.where)
	case "hook.endpoint_responded_with_error":
		body := strings.TrimSpace(e.Data.ResponseBody)
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		if body != "" {
			return fmt.Errorf("the endpoint answered %d: %s", e.Data.ResponseStatus, body)
		}
		return fmt.Errorf("the endpoint answered %d", e.Data.ResponseStatus)
	}
	if e.Data.Field != "" {
		return fmt.Errorf("%s: %s", flagOf(e.Data.Field), strings.TrimPrefix(e.Message, e.Data.Field+": "))
	}
	return errors.New(e.Message)
}

// hookView is the API's hook in its key order. The CLI prints signing keys only
// where the user asks for the hook itself (create, get, rotate-key), as Logto's
// API returns them; list and update leave them out.
type hookView struct {
	TenantID             string         `json:"tenantId"`
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	Event                *string        `json:"event"`
	Events               []string       `json:"events"`
	Config               hookConfigView `json:"config"`
	SigningKey           string         `json:"signingKey,omitempty"`
	Enabled              bool           `json:"enabled"`
	CreatedAt            int64          `json:"createdAt"`
	PreviousKeyExpiresAt int64          `json:"previousKeyExpiresAt,omitempty"`
	DisabledReason       string         `json:"disabledReason,omitempty"`
	ExecutionStats       *webhook.Stats `json:"executionStats,omitempty"`
}

type hookConfigView struct {
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Retries   *int              `json:"retries,omitempty"`
	TimeoutMs int64             `json:"timeoutMs,omitempty"`
}

// writeJSON prints v indented, without HTML escaping (URLs keep their &).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// printHook prints one hook as aligned fields; showKey adds the signing key and
// its Standard Webhooks secret.
func printHook(w io.Writer, h hookView, showKey bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("ID", h.ID)
	row("Name", cmpOr(h.Name, "-"))
	row("URL", h.Config.URL)
	row("Events", eventsText(h.Events, false))
	keys := make([]string, 0, len(h.Config.Headers))
	for k := range h.Config.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		label := ""
		if i == 0 {
			label = "Headers"
		}
		row(label, k+": "+h.Config.Headers[k])
	}
	if h.Config.Retries != nil {
		row("Retries", fmt.Sprint(*h.Config.Retries))
	}
	if h.Config.TimeoutMs > 0 {
		row("Timeout", (time.Duration(h.Config.TimeoutMs) * time.Millisecond).String())
	}
	enabled := "yes"
	if !h.Enabled {
		enabled = "no"
		if h.DisabledReason != "" {
			enabled += " (" + h.DisabledReason + ")"
		}
	}
	row("Enabled", enabled)
	row("Created", formatMillis(h.CreatedAt))
	if showKey {
		row("Signing key", h.SigningKey)
		row("Standard Webhooks secret", signature.Secret(h.SigningKey))
	}
	if h.PreviousKeyExpiresAt > 0 {
		row("Previous key valid until", formatMillis(h.PreviousKeyExpiresAt))
	}
	if s := h.ExecutionStats; s != nil {
		row("Last 24 h", statsText(*s))
	}
	return tw.Flush()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// eventsText shows a hook's events; short shortens long lists for tables.
func eventsText(events []string, short bool) string {
	if len(events) == len(webhook.Catalog()) {
		return fmt.Sprintf("all %d events", len(events))
	}
	if short && len(events) > 2 {
		return fmt.Sprintf("%s,%s +%d", events[0], events[1], len(events)-2)
	}
	return strings.Join(events, ",")
}

func statsText(s webhook.Stats) string {
	return fmt.Sprintf("%d requests, %d succeeded", s.RequestCount, s.SuccessCount)
}

// hookFlags are the settings create and update share.
type hookFlags struct {
	url      string
	events   []string
	name     string
	headers  []string
	retries  int
	timeout  time.Duration
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
	fs.BoolVar(&f.disabled, "disabled", false, "save the hook disabled (update: --disabled=false enables it)")
	fs.BoolVar(&f.asJSON, "json", false, "print the hook as the management API's JSON")
}

// configBody builds the API's config from the flags on top of base: PATCH
// replaces the whole config, so update starts from the stored one.
func (f *hookFlags) configBody(cmd *cobra.Command, base hookConfigView) (map[string]any, error) {
	changed := cmd.Flags().Changed
	c := base
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
	out := map[string]any{"url": c.URL}
	if len(c.Headers) > 0 {
		out["headers"] = c.Headers
	}
	if c.Retries != nil {
		out["retries"] = *c.Retries
	}
	if c.TimeoutMs > 0 {
		out["timeoutMs"] = c.TimeoutMs
	}
	return out, nil
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
			config, err := f.configBody(cmd, hookConfigView{})
			if err != nil {
				return err
			}
			body := map[string]any{"events": events, "config": config, "enabled": !f.disabled}
			if f.name != "" {
				body["name"] = f.name
			}
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			var h hookView
			if err := api.do(cmd, http.MethodPost, "/hooks", body, &h); err != nil {
				return fmt.Errorf("create hook: %w", err)
			}
			if f.asJSON {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			return printHook(cmd.OutOrStdout(), h, true)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := env.api(cmd, wantLog)
			if err != nil {
				return err
			}
			defer api.b.Close()
			path := "/hooks"
			if api.b.log != nil {
				path += "?includeExecutionStats=true"
			}
			var hooks []hookView
			if err := api.do(cmd, http.MethodGet, path, nil, &hooks); err != nil {
				return fmt.Errorf("list hooks: %w", err)
			}
			for i := range hooks {
				hooks[i].SigningKey = ""
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, hooks)
			}
			if len(hooks) == 0 {
				_, err := fmt.Fprintf(out, "No hooks in %s. Create one with: webhooks hooks create --url URL --events User.Created\n", api.b.where)
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tENABLED\tEVENTS\tURL\tLAST 24 H")
			for _, h := range hooks {
				enabled := "yes"
				if !h.Enabled {
					enabled = "no"
				}
				stats := "-"
				if h.ExecutionStats != nil {
					stats = fmt.Sprintf("%d/%d ok", h.ExecutionStats.SuccessCount, h.ExecutionStats.RequestCount)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, cmpOr(h.Name, "-"), enabled, eventsText(h.Events, true), h.Config.URL, stats)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the management API's JSON array (without signing keys)")
	return cmd
}

// getHook reads one hook, with its stats when the delivery log is open.
func getHook(cmd *cobra.Command, api *hookAPI, id string) (hookView, error) {
	path := "/hooks/" + url.PathEscape(id)
	if api.b.log != nil {
		path += "?includeExecutionStats=1"
	}
	var h hookView
	err := api.do(cmd, http.MethodGet, path, nil, &h)
	return h, err
}

func newHooksGetCmd(env *hooksEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a hook with its signing key and last 24 h of deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, wantLog)
			if err != nil {
				return err
			}
			defer api.b.Close()
			h, err := getHook(cmd, api, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			return printHook(cmd.OutOrStdout(), h, true)
		},
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
			body := map[string]any{}
			if changed("events") {
				events, err := parseEventList("events", f.events)
				if err != nil {
					return err
				}
				if len(events) == 0 {
					return errors.New("--events: name at least one event")
				}
				body["events"] = events
			}
			if changed("name") {
				body["name"] = f.name
			}
			if changed("disabled") {
				body["enabled"] = !f.disabled
			}
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			id := args[0]
			if changed("url") || changed("header") || changed("retries") || changed("timeout") {
				cur, err := getHook(cmd, api, id)
				if err != nil {
					return err
				}
				if body["config"], err = f.configBody(cmd, cur.Config); err != nil {
					return err
				}
			}
			if len(body) == 0 {
				return errors.New("nothing to change: give --url, --events, --name, --header, --retries, --timeout or --disabled")
			}
			var h hookView
			if err := api.do(cmd, http.MethodPatch, "/hooks/"+url.PathEscape(id), body, &h); err != nil {
				return fmt.Errorf("update hook %s: %w", id, err)
			}
			h.SigningKey = ""
			if f.asJSON {
				return writeJSON(cmd.OutOrStdout(), h)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Updated hook %s.\n", h.ID)
			return printHook(cmd.OutOrStdout(), h, false)
		},
	}
	f.register(cmd)
	return cmd
}

func newHooksDeleteCmd(env *hooksEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a hook; its queued deliveries are dropped",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			if err := api.do(cmd, http.MethodDelete, "/hooks/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Deleted hook %s.\n", args[0])
			return err
		},
	}
}

func newHooksEnableCmd(env *hooksEnv, enable bool) *cobra.Command {
	use, short, done := "enable ID", "Enable a hook (also clears why the service disabled it)", "Enabled"
	if !enable {
		use, short, done = "disable ID", "Disable a hook; its deliveries are dropped until it is enabled", "Disabled"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			if err := api.do(cmd, http.MethodPatch, "/hooks/"+url.PathEscape(args[0]), map[string]any{"enabled": enable}, nil); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s hook %s.\n", done, args[0])
			return err
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			body := map[string]any{}
			if cmd.Flags().Changed("grace") {
				body["grace"] = grace.String()
			}
			var h hookView
			if err := api.do(cmd, http.MethodPatch, "/hooks/"+url.PathEscape(args[0])+"/signing-key", body, &h); err != nil {
				return fmt.Errorf("rotate signing key: %w", err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, h)
			}
			fmt.Fprintf(out, "New signing key of hook %s: %s\nStandard Webhooks secret: %s\n", h.ID, h.SigningKey, signature.Secret(h.SigningKey))
			if h.PreviousKeyExpiresAt > 0 {
				fmt.Fprintf(out, "The previous key also signs webhook-signature until %s.\n", formatMillis(h.PreviousKeyExpiresAt))
			} else {
				fmt.Fprintln(out, "The previous key no longer signs anything.")
			}
			return nil
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, 0)
			if err != nil {
				return err
			}
			defer api.b.Close()
			h, err := getHook(cmd, api, args[0])
			if err != nil {
				return err
			}
			e := webhook.PostRegister
			if len(h.Events) > 0 {
				e = webhook.Event(h.Events[0])
			}
			if event != "" {
				if e, err = webhook.ParseEvent(event); err != nil {
					return fmt.Errorf("--event: %w", err)
				}
			}
			config := map[string]any{"url": h.Config.URL}
			if len(h.Config.Headers) > 0 {
				config["headers"] = h.Config.Headers
			}
			body := map[string]any{"events": []webhook.Event{e}, "config": config}
			if err := api.do(cmd, http.MethodPost, "/hooks/"+url.PathEscape(h.ID)+"/test", body, nil); err != nil {
				return fmt.Errorf("test hook %s: %w", h.ID, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Sent a signed %s test payload to %s: the endpoint answered 2xx.\n", e, h.Config.URL)
			return err
		},
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
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := env.api(cmd, needLog)
			if err != nil {
				return err
			}
			defer api.b.Close()
			h, err := getHook(cmd, api, args[0])
			if err != nil {
				return err
			}
			s := webhook.Stats{}
			if h.ExecutionStats != nil {
				s = *h.ExecutionStats
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), s)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Hook %s, last 24 h: %s\n", h.ID, statsText(s))
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"requestCount":N,"successCount":M}`)
	return cmd
}
