package webhook

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by stores when an id names nothing.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by HookStore.PutHook when the stored hook is no longer
// the version the caller read: someone else wrote it in between. The caller
// re-reads and re-applies its change, or gives up; it never overwrites blindly.
var ErrConflict = errors.New("conflict: the hook changed since it was read")

// FieldError is a validation failure of one field of user input. Record is the
// index of the ingest record it belongs to, or -1 outside an ingest request.
type FieldError struct {
	Record int
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Record >= 0 && e.Field != "" {
		return fmt.Sprintf("records[%d].%s: %s", e.Record, e.Field, e.Reason)
	}
	if e.Record >= 0 {
		return fmt.Sprintf("records[%d]: %s", e.Record, e.Reason)
	}
	if e.Field != "" {
		return e.Field + ": " + e.Reason
	}
	return e.Reason
}
