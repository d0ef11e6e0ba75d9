package management

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Kinds of Error, for errors.Is. A front end picks its answer by kind (the HTTP
// API a status, the CLI a message) and shows Error.Message.
var (
	// ErrInvalid: the input is wrong; Error.Field names the field at fault.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound: no hook has the id.
	ErrNotFound = webhook.ErrNotFound
	// ErrConflict: the hook kept changing under a read-modify-write, which gave
	// up after retrying. Nothing was written; the caller may simply try again.
	ErrConflict = webhook.ErrConflict
	// ErrTestFailed: a test send got no response or a non-2xx one.
	ErrTestFailed = errors.New("test send failed")
	// ErrUnavailable: this Service was built without what the call needs.
	ErrUnavailable = errors.New("not available")

	// Kinds only the HTTP API produces.
	errMethod   = errors.New("method not allowed")
	errTooLarge = errors.New("request body too large")
)

// Error is a failure the user may see: Logto's {code, message, data?} with the
// kind that says what went wrong. Any other error from the Service is internal
// (a store failed) and should be shown as such, its detail logged.
type Error struct {
	Kind    error  `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field is the input field at fault as the API names it ("config.url"), or "".
	Field string `json:"-"`
	Data  any    `json:"data,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the kind, so errors.Is(err, management.ErrConflict) works.
func (e *Error) Unwrap() error { return e.Kind }

// status is the HTTP status of each kind.
func (e *Error) status() int {
	for kind, status := range map[error]int{
		ErrInvalid:     http.StatusBadRequest,
		ErrNotFound:    http.StatusNotFound,
		ErrConflict:    http.StatusConflict,
		ErrTestFailed:  http.StatusUnprocessableEntity,
		ErrUnavailable: http.StatusNotImplemented,
		errMethod:      http.StatusMethodNotAllowed,
		errTooLarge:    http.StatusRequestEntityTooLarge,
	} {
		if e.Kind == kind {
			return status
		}
	}
	return http.StatusInternalServerError
}

// invalid is Logto's guard.invalid_input for one field; data names the field so
// clients can highlight it without parsing the message.
func invalid(field, reason string) *Error {
	msg := reason
	if field != "" {
		msg = field + ": " + reason
	}
	var data any
	if field != "" {
		data = map[string]string{"field": field}
	}
	return &Error{Kind: ErrInvalid, Code: "guard.invalid_input", Message: msg, Field: field, Data: data}
}

func notExistsWithID(id string) *Error {
	return &Error{Kind: ErrNotFound, Code: "entity.not_exists_with_id",
		Message: "The hook with ID " + strconv.Quote(id) + " does not exist."}
}

func notExists() *Error {
	return &Error{Kind: ErrNotFound, Code: "entity.not_exists", Message: "The hook does not exist."}
}

func notFound() *Error {
	return &Error{Kind: ErrNotFound, Code: "entity.not_found", Message: "The resource does not exist."}
}

// conflict is the answer when a read-modify-write still conflicted after its
// retries: the hook was being changed continuously by others.
func conflict(id string) *Error {
	return &Error{Kind: ErrConflict, Code: "hook.conflict",
		Message: "The hook with ID " + strconv.Quote(id) + " changed while this change was applied; nothing was changed. Read it again and retry."}
}
