package ingest

import (
	"encoding/json"
	"fmt"
)

// Error is an ingest failure as producers see it: the HTTP status and the body
// {"error":{"code","message","record","field"}} of docs/architecture.md §3.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Record is the index of the offending record, absent for request-level errors.
	Record *int   `json:"record,omitempty"`
	Field  string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Record != nil {
		return fmt.Sprintf("%s: records[%d].%s: %s", e.Code, *e.Record, e.Field, e.Message)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Body returns the JSON error body.
func (e *Error) Body() []byte {
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	return b
}
