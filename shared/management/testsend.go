package management

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

var testFields = map[string]bool{"events": true, "config": true}

// testHook is Logto's POST /hooks/:id/test: one test payload per event, sent to
// the config in the body (not the stored one) and signed with the stored hook's
// keys. It works for disabled hooks and is not written to the delivery log.
func (h *handler) testHook(w http.ResponseWriter, r *http.Request, id string) {
	if h.cfg.SendTest == nil {
		h.writeError(w, r, &apiError{Status: http.StatusNotImplemented, Code: "hook.test_not_available",
			Message: "this server cannot send test payloads"})
		return
	}
	m, err := readObject(w, r, testFields)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rawEvents, ok := m["events"]
	if !ok {
		h.writeError(w, r, invalid("events", "is required"))
		return
	}
	events, err := parseEvents(rawEvents, "events")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rawConfig, ok := m["config"]
	if !ok {
		h.writeError(w, r, invalid("config", "is required"))
		return
	}
	cfg, err := parseConfig(rawConfig)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	probe := webhook.Hook{Events: events}
	applyConfig(&probe, cfg)
	if err := h.validateHook(r, &probe, true); err != nil {
		h.writeError(w, r, err)
		return
	}
	hook, err := h.findHook(r, id, notExistsWithID(id))
	if err != nil {
		h.writeError(w, r, err)
		return
	}

	type result struct {
		status int
		body   string
		err    error
	}
	results := make([]result, len(events))
	var wg sync.WaitGroup
	for i, e := range events {
		wg.Go(func() {
			var res result
			res.status, res.body, res.err = h.cfg.SendTest(r.Context(), hook, cfg.url, cfg.headers, e)
			results[i] = res
		})
	}
	wg.Wait()
	// Logto reports whichever send fails first in time; the first in event order
	// gives the same answer for the same inputs.
	for _, res := range results {
		switch {
		case res.err != nil:
			h.writeError(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "hook.send_test_payload_failed",
				Message: "Failed to send test payload: " + res.err.Error()})
			return
		case res.status < 200 || res.status > 299:
			h.writeError(w, r, &apiError{Status: http.StatusUnprocessableEntity, Code: "hook.endpoint_responded_with_error",
				Message: fmt.Sprintf("The endpoint responded with status %d.", res.status),
				Data:    map[string]any{"responseStatus": res.status, "responseBody": res.body}})
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
