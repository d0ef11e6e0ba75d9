package management

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestHook is Logto's POST /hooks/:id/test: Logto's test payload of each event
// (hookId appended, as in every delivery), sent to config (not the stored one)
// and signed with the stored hook's keys, through delivery.Attempt like any
// delivery. It works for disabled hooks and is neither queued, retried nor
// logged. The delivery id is fresh each time, so receivers that dedupe see
// every test. A send without a response or with a non-2xx one is ErrTestFailed;
// the first in event order is reported, so the same inputs give the same answer.
func (s *Service) TestHook(ctx context.Context, id string, events []webhook.Event, config HookConfig) error {
	if s.cfg.Poster == nil {
		return &Error{Kind: ErrUnavailable, Code: "hook.test_not_available", Message: "this server cannot send test payloads"}
	}
	probe := webhook.Hook{Events: events}
	config.apply(&probe)
	if err := s.validate(ctx, &probe, true); err != nil {
		return err
	}
	hook, err := s.GetHook(ctx, id)
	if err != nil {
		return err
	}
	config.apply(&hook)

	type result struct {
		resp delivery.Response
		err  error
	}
	results := make([]result, len(events))
	var wg sync.WaitGroup
	for i, e := range events {
		wg.Go(func() {
			now := s.now()
			job := webhook.Job{Version: webhook.JobVersion, EventID: webhook.RandomEventID(), Event: e,
				HookID: hook.ID, Payload: mapping.TestPayload(e, now)}
			job.DeliveryID = webhook.DeliveryID(job.EventID, hook.ID)
			resp, err := delivery.Attempt(ctx, s.cfg.Poster, &hook, job.DeliveryID, job.Body(), now, s.cfg.TestTimeout)
			results[i] = result{resp, err}
		})
	}
	wg.Wait()
	for _, res := range results {
		switch {
		case res.err != nil:
			return &Error{Kind: ErrTestFailed, Code: "hook.send_test_payload_failed",
				Message: "Failed to send test payload: " + res.err.Error()}
		case res.resp.Status < 200 || res.resp.Status > 299:
			return &Error{Kind: ErrTestFailed, Code: "hook.endpoint_responded_with_error",
				Message: fmt.Sprintf("The endpoint responded with status %d.", res.resp.Status),
				Data:    TestFailure{ResponseStatus: res.resp.Status, ResponseBody: string(res.resp.Body)}}
		}
	}
	return nil
}

// TestFailure is the data of hook.endpoint_responded_with_error.
type TestFailure struct {
	ResponseStatus int    `json:"responseStatus"`
	ResponseBody   string `json:"responseBody"`
}

var testFields = map[string]bool{"events": true, "config": true}

func (h *handler) testHook(w http.ResponseWriter, r *http.Request, id string) {
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
	if err := h.svc.TestHook(r.Context(), id, events, *cfg); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
