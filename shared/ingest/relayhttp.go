package ingest

import (
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
		body, ok := readPost(w, r)
		if !ok {
			return
		}
		status, out := s.respondRelay(r.Context(), RelayRequest{SourceID: id, Signature: r.Header.Get(signature.HeaderLogto), Body: body})
		writeJSON(w, status, out)
	})
}

// relaySourceID returns the source id of a relay path, /logto/{id}.
func relaySourceID(path string) (string, bool) {
	id, ok := strings.CutPrefix(path, RelayPathPrefix)
	id = strings.TrimSuffix(id, "/")
	return id, ok && id != "" && !strings.Contains(id, "/")
}
