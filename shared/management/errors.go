package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// apiError is an error the client may see: Logto's {code, message, data?} body with
// its HTTP status. Anything else reaching writeError is internal and shown as
// "internal error".
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// invalid is Logto's guard.invalid_input for one field; data names the field so
// clients can highlight it without parsing the message.
func invalid(field, reason string) *apiError {
	msg := reason
	if field != "" {
		msg = field + ": " + reason
	}
	var data any
	if field != "" {
		data = map[string]string{"field": field}
	}
	return &apiError{Status: http.StatusBadRequest, Code: "guard.invalid_input", Message: msg, Data: data}
}

func notExistsWithID(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "entity.not_exists_with_id",
		Message: "The hook with ID " + strconv.Quote(id) + " does not exist."}
}

func notExists() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "entity.not_exists", Message: "The hook does not exist."}
}

func notFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "entity.not_found", Message: "The resource does not exist."}
}

// writeJSON writes v without HTML escaping, as Logto's JSON.stringify does, so URLs
// with & in them read back unchanged.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"code":"internal_error","message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeJSON(w, ae.Status, ae)
		return
	}
	h.log.ErrorContext(r.Context(), "management api: internal error",
		"method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, &apiError{Code: "internal_error", Message: "internal error"})
}
