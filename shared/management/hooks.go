package management

import (
	"context"
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

// withStats is a hook's JSON with its execution stats.
func (h *handler) withStats(ctx context.Context, hook webhook.Hook) (HookJSON, error) {
	j := ToJSON(hook, h.svc.now())
	st, err := h.svc.Stats(ctx, hook.ID)
	if err != nil {
		return j, err
	}
	j.ExecutionStats = &st
	return j, nil
}

func (h *handler) listHooks(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	pg, err := parsePagination(q, true)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hooks, err := h.svc.ListHooks(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if pg != nil {
		total := len(hooks)
		hooks = pageOf(hooks, *pg)
		pg.setHeaders(w, r, total)
	}
	stats := yes(q.Get("includeExecutionStats"))
	out := make([]HookJSON, 0, len(hooks))
	for _, hook := range hooks {
		j := ToJSON(hook, h.svc.now())
		if stats {
			if j, err = h.withStats(r.Context(), hook); err != nil {
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
	hook, err := h.svc.GetHook(r.Context(), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	j := ToJSON(hook, h.svc.now())
	if r.URL.Query().Get("includeExecutionStats") != "" {
		if j, err = h.withStats(r.Context(), hook); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *handler) createHook(w http.ResponseWriter, r *http.Request, _ string) {
	in, err := readHookInput(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hook, err := h.svc.CreateHook(r.Context(), in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ToJSON(hook, h.svc.now()))
}

func (h *handler) updateHook(w http.ResponseWriter, r *http.Request, id string) {
	in, err := readHookInput(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hook, err := h.svc.UpdateHook(r.Context(), id, in)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ToJSON(hook, h.svc.now()))
}

func (h *handler) deleteHook(w http.ResponseWriter, r *http.Request, id string) {
	if err := h.svc.DeleteHook(r.Context(), id); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var rotateFields = map[string]bool{"grace": true}

// rotateKey reads the grace from the body {"grace":"1h"}, else ?grace=1h, else
// takes the Service's default; see Service.RotateKey.
func (h *handler) rotateKey(w http.ResponseWriter, r *http.Request, id string) {
	m, err := readObject(w, r, rotateFields)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	graceText, hasGrace := r.URL.Query().Get("grace"), r.URL.Query().Has("grace")
	if raw, ok := m["grace"]; ok {
		if graceText, err = parseString(raw, "grace"); err != nil {
			h.writeError(w, r, err)
			return
		}
		hasGrace = true
	}
	var grace *time.Duration
	if hasGrace {
		d, perr := time.ParseDuration(graceText)
		if perr != nil {
			h.writeError(w, r, invalid("grace", fmt.Sprintf("must be a duration such as \"24h\" between 0s and %s", MaxRotationGrace)))
			return
		}
		grace = &d
	}
	hook, err := h.svc.RotateKey(r.Context(), id, grace)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ToJSON(hook, h.svc.now()))
}
