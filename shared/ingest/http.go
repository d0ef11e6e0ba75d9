package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// ServeHTTP serves POST /events for the dev server and tests. The Lambda uses
// HandleLambda, which shares the status codes and bodies.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := readPost(w, r)
	if !ok {
		return
	}
	status, out := s.respond(r.Context(), body)
	writeJSON(w, status, out)
}

// readPost returns a POST's body, at most webhook.MaxRequestBytes; for any
// other method, or a body it cannot read, it answers the request itself and
// reports false.
func readPost(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"})
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxRequestBytes))
	if err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			writeError(w, tooLarge())
			return nil, false
		}
		writeError(w, &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "could not read the request body"})
		return nil, false
	}
	return body, true
}

func tooLarge() *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "request_too_large",
		Message: "the request body exceeds 1 MiB; split the records over several requests"}
}

// respond runs Ingest and returns the status and JSON body to send.
func (s *Service) respond(ctx context.Context, body []byte) (int, []byte) {
	if len(body) > webhook.MaxRequestBytes {
		e := tooLarge()
		return e.Status, e.Body()
	}
	resp, err := s.Ingest(ctx, body)
	return answer(resp, err)
}

// respondRelay runs Relay and returns the status and JSON body to send.
func (s *Service) respondRelay(ctx context.Context, r RelayRequest) (int, []byte) {
	resp, err := s.Relay(ctx, r)
	return answer(resp, err)
}

// answer is the status and JSON body for a result: 202 and resp, or err's
// own status and body when it is an *Error, else a 500 that says no more.
func answer[R any](resp R, err error) (int, []byte) {
	if err != nil {
		e, ok := errors.AsType[*Error](err)
		if !ok {
			e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
		}
		return e.Status, e.Body()
	}
	return http.StatusAccepted, marshal(resp)
}

// writeJSON sends a JSON body with its status.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, e.Body())
}

func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
