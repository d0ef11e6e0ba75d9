package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/logto-webhooks/webhooks/shared/metrics"
	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// DefaultReplayWindow is how far a relayed body's createdAt may be from now,
// either way, when Config.ReplayWindow is zero. Logto sends at once and
// retries within seconds, so five minutes covers its retries and ordinary
// clock skew, while a body captured on the wire stops working soon after.
const DefaultReplayWindow = 5 * time.Minute

// metricRelayUnknownEvent counts relayed bodies whose event this version
// does not know: accepted and delivered to nobody.
const metricRelayUnknownEvent = "RelayUnknownEvent"

// RelayRequest is one body Logto sent to POST /logto/{SourceID}.
type RelayRequest struct {
	SourceID string
	// Signature is the logto-signature-sha-256 header ("" when absent).
	Signature string
	Body      []byte
}

// Relay accepts a webhook body a Logto tenant (a webhook.Source) sent and
// queues it for every enabled hook subscribed to its event: each receives the
// body byte for byte with hookId set to its own id (docs/logto-relay.md).
//
// The checks run in this order and each refusal queues nothing: the body
// size (413), the source (404 unknown, 403 disabled), the signature over the
// exact bytes with the source's key or its previous key within grace (401
// invalid_signature, the same answer for a missing and a wrong one), the body
// being a Logto payload (400), createdAt within the replay window (401
// outside_replay_window), then the fan-out limits as for Ingest (413). An
// event this version does not know is accepted with no delivery, logged and
// counted, so a new Logto event never turns into errors at Logto. Store and
// queue failures are 503: only a retry can help (Logto retries a 5xx in the
// versions whose sender retries POST).
func (s *Service) Relay(ctx context.Context, r RelayRequest) (Response, error) {
	if len(r.Body) > webhook.MaxRequestBytes {
		return Response{}, s.reject(tooLarge())
	}
	src, err := s.source(ctx, r.SourceID)
	if err != nil {
		return Response{}, s.reject(err)
	}
	now := s.now()
	if !validSignature(r.Signature, r.Body, src.VerifyKeys(now)) {
		s.log.WarnContext(ctx, "relay: refused a body whose signature does not verify", "source", src.ID,
			"signaturePresent", r.Signature != "", "sourceHasKey", src.SigningKey != "")
		return Response{}, s.reject(&Error{Status: http.StatusUnauthorized, Code: "invalid_signature",
			Message: "the " + signature.HeaderLogto + " header is missing or does not match the body"})
	}
	body, err := parseRelayBody(r.Body)
	if err != nil {
		return Response{}, s.reject(&Error{Status: http.StatusBadRequest, Code: "invalid_payload", Message: err.Error()})
	}
	created, err := time.Parse(time.RFC3339Nano, body.createdAt)
	if err != nil {
		return Response{}, s.reject(&Error{Status: http.StatusBadRequest, Code: "invalid_payload", Field: "createdAt",
			Message: "createdAt must be an ISO 8601 time such as 2026-08-21T12:00:00.000Z"})
	}
	if d := now.Sub(created); d > s.replay || d < -s.replay {
		s.log.WarnContext(ctx, "relay: refused a body outside the replay window", "source", src.ID,
			"createdAt", body.createdAt, "window", s.replay.String())
		return Response{}, s.reject(&Error{Status: http.StatusUnauthorized, Code: "outside_replay_window",
			Message: "createdAt is more than " + s.replay.String() + " from the time of receipt; a replayed or delayed body is refused"})
	}
	e, err := webhook.ParseEvent(body.event)
	if err != nil {
		s.log.WarnContext(ctx, "relay: accepted an event this version does not know; delivered to no hook",
			"source", src.ID, "event", body.event)
		s.metrics.Emit("", metrics.Count(metricRelayUnknownEvent, 1))
		return Response{Accepted: 1, Events: []EventRef{}}, nil
	}
	msg := webhook.EventMessage{ID: webhook.RelayEventID(src.ID, body.payload), Event: e,
		Payload: body.payload, HookIDAt: body.hookIDAt}
	jobs, err := s.fanOut(ctx, []event{{EventMessage: msg, record: 0}})
	if err != nil {
		return Response{}, err
	}
	s.emit([]webhook.EventMessage{msg}, jobs)
	s.log.InfoContext(ctx, "relay: accepted", "source", src.ID, "event", e, "eventId", msg.ID, "deliveries", jobs)
	return Response{Accepted: 1, Deliveries: jobs, Events: []EventRef{{ID: msg.ID, Event: e}}}, nil
}

// source returns the enabled source with id, or the *Error to answer.
func (s *Service) source(ctx context.Context, id string) (webhook.Source, error) {
	unknown := &Error{Status: http.StatusNotFound, Code: "unknown_source", Message: "no source has this id"}
	if s.sources == nil || id == "" || len(id) > 128 {
		return webhook.Source{}, unknown
	}
	src, err := s.sources.GetSource(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return webhook.Source{}, unknown
	}
	if err != nil {
		s.log.ErrorContext(ctx, "relay: cannot read the source", "source", id, "error", err)
		return webhook.Source{}, &Error{Status: http.StatusServiceUnavailable, Code: "sources_unavailable",
			Message: "cannot read the source; retry the request"}
	}
	if !src.Enabled {
		return webhook.Source{}, &Error{Status: http.StatusForbidden, Code: "source_disabled", Message: "the source is disabled"}
	}
	return src, nil
}

// validSignature reports whether sig is the hex HMAC-SHA256 of body under one
// of keys. Every key is tried and compared in constant time, so the answer's
// timing says nothing about the signature or which key failed.
func validSignature(sig string, body []byte, keys []string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		got = make([]byte, sha256.Size) // still compare, keeping the timing
	}
	ok := false
	for _, k := range keys {
		mac := hmac.New(sha256.New, []byte(k))
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got) {
			ok = true
		}
	}
	return ok && err == nil && sig != ""
}
