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
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, tooLarge())
			return
		}
		writeError(w, &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "could not read the request body"})
		return
	}
	status, out := s.respond(r.Context(), body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
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
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
		}
		return e.Status, e.Body()
	}
	return http.StatusAccepted, marshal(resp)
}

// respondRelay runs Relay and returns the status and JSON body to send.
func (s *Service) respondRelay(ctx context.Context, r RelayRequest) (int, []byte) {
	resp, err := s.Relay(ctx, r)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
		}
		return e.Status, e.Body()
	}
	return http.StatusAccepted, marshal(resp)
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.Body())
}

func marshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
