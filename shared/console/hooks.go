package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/logto-webhooks/webhooks/shared/management"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// hookView is a hook as pages show it: never its keys (see revealKey).
type hookView struct {
	ID, Name, URL  string
	Events         []webhook.Event
	Enabled        bool
	DisabledReason string
	// HeaderNames are the custom headers' names; values may be credentials
	// for the receiver, so pages do not show them.
	HeaderNames []string
	Retries     *int
	TimeoutMs   int64
	MaxInFlight int
	// CircuitOpen is set while the circuit breaker holds deliveries back.
	CircuitOpen      bool
	CircuitOpenUntil int64
	CircuitReason    string
	FailingSince     int64
	// PreviousKeyUntil is when the rotated-out key stops signing (0: none).
	PreviousKeyUntil int64
	CreatedAt        int64
	Stats            webhook.Stats
	Series           series
	Chart, Spark     template.HTML
}

func (c *Console) view(ctx context.Context, h webhook.Hook) (hookView, error) {
	now := c.cfg.Now()
	v := hookView{
		ID: h.ID, Name: h.Name, URL: h.URL, Events: h.Events, Enabled: h.Enabled,
		DisabledReason: h.DisabledReason, HeaderNames: slices.Sorted(maps.Keys(h.Headers)),
		Retries: h.Retries, TimeoutMs: h.TimeoutMs, MaxInFlight: h.MaxInFlight,
		CircuitOpen:      h.CircuitOpenUntil > now.UnixMilli(),
		CircuitOpenUntil: h.CircuitOpenUntil, CircuitReason: h.CircuitReason,
		FailingSince: h.FailingSince, CreatedAt: h.CreatedAt,
	}
	if len(h.SigningKeys(now)) > 1 {
		v.PreviousKeyUntil = h.PreviousKeyExpiresAt
	}
	var err error
	if v.Stats, err = c.cfg.Service.Stats(ctx, h.ID); err != nil {
		return v, err
	}
	if v.Series, err = c.series(ctx, h.ID); err != nil {
		return v, err
	}
	v.Chart, v.Spark = v.Series.svg(), v.Series.spark()
	return v, nil
}

// series reads the hook's last 24 h of attempts for its charts.
func (c *Console) series(ctx context.Context, id string) (series, error) {
	now := c.cfg.Now()
	if c.cfg.Backend.Log == nil {
		return hourly(nil, now, false), nil
	}
	entries, err := c.cfg.Backend.Log.Query(ctx, webhook.LogQuery{
		HookID: id, Since: now.Add(-chartHours * time.Hour), Until: now, Limit: maxChartEntries + 1,
	})
	if err != nil {
		return series{}, fmt.Errorf("delivery log of hook %s: %w", id, err)
	}
	capped := len(entries) > maxChartEntries
	if capped {
		entries = entries[:maxChartEntries]
	}
	return hourly(entries, now, capped), nil
}

func (c *Console) hooksPage(w http.ResponseWriter, r *http.Request) {
	hooks, err := c.cfg.Service.ListHooks(r.Context())
	if err != nil {
		c.internal(w, r, err)
		return
	}
	views := make([]hookView, 0, len(hooks))
	for _, h := range hooks {
		v, err := c.view(r.Context(), h)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		views = append(views, v)
	}
	c.page(w, r, "hooks", "Hooks", map[string]any{"Hooks": views, "Where": c.cfg.Backend.Where})
}

// hookPageData is the hook page: settings, actions, the chart and the live
// deliveries list with its filters.
type hookPageData struct {
	Hook   hookView
	Form   editForm
	Events []webhook.EventInfo
	Filter deliveryFilter
}

func (c *Console) hookPage(w http.ResponseWriter, r *http.Request) {
	h, ok := c.hook(w, r)
	if !ok {
		return
	}
	v, err := c.view(r.Context(), h)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	c.page(w, r, "hook", "Hook "+cmpName(h), hookPageData{
		Hook: v, Form: formOf(h), Events: webhook.Catalog(), Filter: parseFilter(r),
	})
}

func cmpName(h webhook.Hook) string {
	if h.Name != "" {
		return h.Name
	}
	return h.ID
}

// hook reads the hook the path names, answering 404 when there is none.
func (c *Console) hook(w http.ResponseWriter, r *http.Request) (webhook.Hook, bool) {
	h, err := c.cfg.Service.GetHook(r.Context(), r.PathValue("id"))
	if err != nil {
		c.serviceError(w, r, err)
		return h, false
	}
	return h, true
}

// revealKey answers the reveal button with the signing key and its Standard
// Webhooks form. It is a POST, so no link, prefetch or cross-site page can
// fetch it, and the answer is not cached.
func (c *Console) revealKey(w http.ResponseWriter, r *http.Request) {
	h, ok := c.hook(w, r)
	if !ok {
		return
	}
	c.fragment(w, r, http.StatusOK, "key", map[string]string{
		"Key": h.SigningKey, "Secret": signature.Secret(h.SigningKey),
	})
}

func (c *Console) setEnabled(w http.ResponseWriter, r *http.Request) {
	enabled := r.PostFormValue("enabled") == "true"
	if _, err := c.cfg.Service.SetEnabled(r.Context(), r.PathValue("id"), enabled); err != nil {
		c.serviceError(w, r, err)
		return
	}
	c.reload(w, r)
}

// reload sends the browser back to the hook page after a change, so every
// part of it shows the stored state.
func (c *Console) reload(w http.ResponseWriter, r *http.Request) {
	c.redirect(w, r, "/hooks/"+r.PathValue("id"))
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request) {
	grace, err := time.ParseDuration(r.PostFormValue("grace"))
	if err != nil {
		c.fragment(w, r, http.StatusBadRequest, "notice", notice{Error: true, Text: "grace: want a duration such as 24h, 1h30m or 0s"})
		return
	}
	h, err := c.cfg.Service.RotateKey(r.Context(), r.PathValue("id"), &grace)
	if err != nil {
		c.serviceError(w, r, err)
		return
	}
	text := "Rotated: deliveries are signed with the new key from now on (reveal it above)."
	if h.PreviousKeyExpiresAt > 0 {
		text = fmt.Sprintf("Rotated: the new key signs from now on, and the previous key also signs until %s.", formatMillis(h.PreviousKeyExpiresAt))
	}
	c.fragment(w, r, http.StatusOK, "notice", notice{Text: text})
}

func (c *Console) testHook(w http.ResponseWriter, r *http.Request) {
	h, ok := c.hook(w, r)
	if !ok {
		return
	}
	e, err := webhook.ParseEvent(r.PostFormValue("event"))
	if err != nil {
		c.fragment(w, r, http.StatusBadRequest, "notice", notice{Error: true, Text: "event: " + err.Error()})
		return
	}
	cfg := management.HookConfig{URL: h.URL, Headers: h.Headers, Retries: h.Retries, TimeoutMs: h.TimeoutMs}
	err = c.cfg.Service.TestHook(r.Context(), h.ID, []webhook.Event{e}, cfg)
	if e, ok := errors.AsType[*management.Error](err); ok && errors.Is(e, management.ErrTestFailed) {
		text := e.Message
		if f, ok := e.Data.(management.TestFailure); ok && f.ResponseBody != "" {
			text += " Body: " + truncateText(f.ResponseBody, 300)
		}
		c.fragment(w, r, http.StatusOK, "notice", notice{Error: true, Text: text})
		return
	}
	if err != nil {
		c.serviceError(w, r, err)
		return
	}
	c.fragment(w, r, http.StatusOK, "notice", notice{Text: fmt.Sprintf("The endpoint accepted a signed %s test payload (not queued or logged).", e)})
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
