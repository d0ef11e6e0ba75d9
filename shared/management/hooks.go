package management

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// yes is @silverhand/essentials yes(), which Logto uses for includeExecutionStats
// on the list route.
func yes(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "y", "yes", "yep", "yeah":
		return true
	}
	return false
}

func (h *handler) stats(ctx context.Context, id string) (*webhook.Stats, error) {
	if h.cfg.Log == nil {
		return &webhook.Stats{}, nil
	}
	s, err := h.cfg.Log.Stats(ctx, id, h.now().Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("stats of hook %s: %w", id, err)
	}
	return &s, nil
}

func (h *handler) listHooks(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	pg, err := parsePagination(q, true)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hooks, err := h.cfg.Hooks.ListHooks(r.Context())
	if err != nil {
		h.writeError(w, r, fmt.Errorf("list hooks: %w", err))
		return
	}
	if pg != nil {
		total := len(hooks)
		hooks = pageOf(hooks, *pg)
		pg.setHeaders(w, r, total)
	}
	withStats := yes(q.Get("includeExecutionStats"))
	now := h.now()
	out := make([]hookJSON, 0, len(hooks))
	for _, hook := range hooks {
		j := toJSON(hook, now)
		if withStats {
			if j.ExecutionStats, err = h.stats(r.Context(), hook.ID); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// getHook includes stats for any non-empty includeExecutionStats, even "false":
// Logto tests the raw query string's truthiness on this route.
func (h *handler) getHook(w http.ResponseWriter, r *http.Request, id string) {
	hook, err := h.findHook(r, id, notExistsWithID(id))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	j := toJSON(hook, h.now())
	if r.URL.Query().Get("includeExecutionStats") != "" {
		if j.ExecutionStats, err = h.stats(r.Context(), id); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, j)
}

// findHook reads hook id; a missing hook is notFound, the error each route
// answers with in Logto (they differ from route to route).
func (h *handler) findHook(r *http.Request, id string, notFound *apiError) (webhook.Hook, error) {
	hook, err := h.cfg.Hooks.GetHook(r.Context(), id)
	if errors.Is(err, webhook.ErrNotFound) {
		return hook, notFound
	}
	if err != nil {
		return hook, fmt.Errorf("get hook %s: %w", id, err)
	}
	return hook, nil
}

func (h *handler) createHook(w http.ResponseWriter, r *http.Request, _ string) {
	in, err := readHookInput(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if in.config == nil {
		h.writeError(w, r, invalid("config", "is required"))
		return
	}
	events := in.events
	if !in.hasEvents && in.event != nil {
		// Logto stores the legacy field and matches on it while events is empty;
		// folding it into events delivers the same, with one field to store.
		events = []webhook.Event{*in.event}
	}
	if len(events) == 0 {
		h.writeError(w, r, &apiError{Status: http.StatusBadRequest, Code: "hook.missing_events",
			Message: "You need to provide at least one event in events."})
		return
	}
	now := h.now().UnixMilli()
	hook := webhook.Hook{
		ID:         webhook.NewHookID(),
		Events:     events,
		SigningKey: webhook.NewSigningKey(),
		Enabled:    true,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	if in.name != nil {
		hook.Name = *in.name
	}
	if in.enabled != nil {
		hook.Enabled = *in.enabled
	}
	applyConfig(&hook, in.config)
	if err := h.validateHook(r, &hook, true); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.cfg.Hooks.PutHook(r.Context(), hook); err != nil {
		h.writeError(w, r, fmt.Errorf("create hook: %w", err))
		return
	}
	writeJSON(w, http.StatusCreated, toJSON(hook, h.now()))
}

// applyConfig replaces the whole config, as Logto's jsonb "replace" update does:
// fields absent from the new config are reset, not kept.
func applyConfig(hook *webhook.Hook, c *configInput) {
	hook.URL = c.url
	hook.Headers = c.headers
	hook.Retries = c.retries
	hook.TimeoutMs = c.timeoutMs
}

func (h *handler) updateHook(w http.ResponseWriter, r *http.Request, id string) {
	in, err := readHookInput(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hook, err := h.findHook(r, id, notExists())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if in.name != nil {
		hook.Name = *in.name
	}
	switch {
	case in.hasEvents:
		hook.Events = in.events
	case in.event != nil && len(hook.Events) == 0:
		// A legacy event only matters in Logto while events is empty.
		hook.Events = []webhook.Event{*in.event}
	}
	if in.config != nil {
		applyConfig(&hook, in.config)
	}
	if in.enabled != nil {
		hook.Enabled = *in.enabled
		// A user's choice supersedes the service's reason for disabling, and
		// restarts the 5-day failure clock.
		hook.DisabledReason = ""
		hook.FailingSince = 0
	}
	hook.UpdatedAt = h.now().UnixMilli()
	if err := h.validateHook(r, &hook, in.config != nil); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.cfg.Hooks.PutHook(r.Context(), hook); err != nil {
		h.writeError(w, r, fmt.Errorf("update hook %s: %w", id, err))
		return
	}
	writeJSON(w, http.StatusOK, toJSON(hook, h.now()))
}

func (h *handler) deleteHook(w http.ResponseWriter, r *http.Request, id string) {
	err := h.cfg.Hooks.DeleteHook(r.Context(), id)
	if errors.Is(err, webhook.ErrNotFound) {
		h.writeError(w, r, notFound())
		return
	}
	if err != nil {
		h.writeError(w, r, fmt.Errorf("delete hook %s: %w", id, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var rotateFields = map[string]bool{"grace": true}

// rotateKey generates a new signing key. Unlike Logto, whose rotation is
// immediate, the old key keeps signing deliveries (a second signature) for a
// grace period so receivers can switch without rejecting deliveries. The grace
// comes from the body {"grace":"1h"}, else ?grace=1h, else Config.RotationGrace;
// "0s" makes the rotation immediate. Rotating again within the grace drops the
// oldest key: only one previous key is kept.
func (h *handler) rotateKey(w http.ResponseWriter, r *http.Request, id string) {
	m, err := readObject(w, r, rotateFields)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	grace := h.cfg.RotationGrace
	graceText, hasGrace := r.URL.Query().Get("grace"), r.URL.Query().Has("grace")
	if raw, ok := m["grace"]; ok {
		if graceText, err = parseString(raw, "grace"); err != nil {
			h.writeError(w, r, err)
			return
		}
		hasGrace = true
	}
	if hasGrace {
		d, perr := time.ParseDuration(graceText)
		if perr != nil || d < 0 || d > MaxRotationGrace {
			h.writeError(w, r, invalid("grace", fmt.Sprintf("must be a duration such as \"24h\" between 0s and %s", MaxRotationGrace)))
			return
		}
		grace = d
	}
	hook, err := h.findHook(r, id, notExists())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	now := h.now()
	old := hook.SigningKey
	hook.SigningKey = webhook.NewSigningKey()
	hook.PreviousSigningKey, hook.PreviousKeyExpiresAt = "", 0
	if grace > 0 && old != "" {
		hook.PreviousSigningKey = old
		hook.PreviousKeyExpiresAt = now.Add(grace).UnixMilli()
	}
	hook.UpdatedAt = now.UnixMilli()
	if err := h.cfg.Hooks.PutHook(r.Context(), hook); err != nil {
		h.writeError(w, r, fmt.Errorf("rotate signing key of hook %s: %w", id, err))
		return
	}
	writeJSON(w, http.StatusOK, toJSON(hook, now))
}
