package webhook

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by stores when an id names nothing.
var ErrNotFound = errors.New("not found")

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
