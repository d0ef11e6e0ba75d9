package ingest

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/signature"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// RelayPathPrefix is the path of the relay endpoint without the source id:
// POST /logto/{sourceId} (webhook.RelayPathPrefix, which the management API
// and the console show).
const RelayPathPrefix = webhook.RelayPathPrefix

// RelayHandler serves POST /logto/{sourceId} for the dev server and tests.
// The Lambda serves the same route from HandleLambda, with the same statuses
// and bodies.
func (s *Service) RelayHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := relaySourceID(r.URL.Path)
		if !ok {
			writeError(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "POST /logto/{sourceId} is the relay route"})
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "use POST"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxRequestBytes))
		if err != nil {
			if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
				writeError(w, tooLarge())
				return
			}
			writeError(w, &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "could not read the request body"})
			return
		}
		status, out := s.respondRelay(r.Context(), RelayRequest{SourceID: id, Signature: r.Header.Get(signature.HeaderLogto), Body: body})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(out)
	})
}

// relaySourceID returns the source id of a relay path, /logto/{id}.
func relaySourceID(path string) (string, bool) {
	id, ok := strings.CutPrefix(path, RelayPathPrefix)
	id = strings.TrimSuffix(id, "/")
	return id, ok && id != "" && !strings.Contains(id, "/")
}
