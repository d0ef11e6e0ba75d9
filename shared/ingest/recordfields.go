package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// recordField is one field a record kind may carry and how its JSON value
// (never null: null means absent) is stored in the record. Errors name the
// field and the expected type.
type recordField struct {
	name string
	set  func(r *webhook.Record, v json.RawMessage) error
}

func stringField[T ~string](name string, at func(*webhook.Record) *T) recordField {
	return recordField{name: name, set: func(r *webhook.Record, v json.RawMessage) error {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return fieldError(name, "must be a string")
		}
		*at(r) = T(s)
		return nil
	}}
}

func stringsField(name string, at func(*webhook.Record) *[]string) recordField {
	return recordField{name: name, set: func(r *webhook.Record, v json.RawMessage) error {
		if json.Unmarshal(v, at(r)) != nil {
			return fieldError(name, "must be an array of strings")
		}
		return nil
	}}
}

// rawField keeps any JSON value, compacted: it ends up in payloads verbatim,
// in the producer's key order.
func rawField(name string, at func(*webhook.Record) *[]byte) recordField {
	return recordField{name: name, set: func(r *webhook.Record, v json.RawMessage) error {
		*at(r) = compact(v)
		return nil
	}}
}

func objectField(name string, at func(*webhook.Record) *[]byte) recordField {
	return recordField{name: name, set: func(r *webhook.Record, v json.RawMessage) error {
		if v[0] != '{' {
			return fieldError(name, "must be a JSON object")
		}
		*at(r) = compact(v)
		return nil
	}}
}

func arrayField(name, reason string, at func(*webhook.Record) *[]byte) recordField {
	return recordField{name: name, set: func(r *webhook.Record, v json.RawMessage) error {
		if v[0] != '[' {
			return fieldError(name, reason)
		}
		*at(r) = compact(v)
		return nil
	}}
}

func setMethod(r *webhook.Record, v json.RawMessage) error {
	if json.Unmarshal(v, &r.Method) != nil {
		return fieldError("method", "must be a string")
	}
	r.Method = strings.ToUpper(r.Method)
	return nil
}

func setStatus(r *webhook.Record, v json.RawMessage) error {
	s, err := strconv.Atoi(string(bytes.TrimSpace(v)))
	if err != nil {
		return fieldError("status", "must be an integer HTTP status")
	}
	r.Status = s
	return nil
}

func setParams(r *webhook.Record, v json.RawMessage) error {
	if v[0] != '{' {
		return fieldError("params", "must be an object of strings")
	}
	members, _ := jsonobject.Members(v, jsonobject.Reject) // v is valid JSON: it came out of the record
	for _, m := range members {
		var s string
		if json.Unmarshal(m.Value, &s) != nil {
			return fieldError("params."+m.Key, "must be a string")
		}
	}
	r.Params = compact(v)
	return nil
}

func setCreatedAt(r *webhook.Record, v json.RawMessage) error {
	t, err := parseCreatedAt(v)
	if err != nil {
		return fieldError("createdAt", err.Error())
	}
	r.CreatedAt = t
	return nil
}

func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}

// maxCreatedAtMs is 9999-12-31T23:59:59.999Z: JavaScript's toISOString switches
// to six-digit years after it, a format receivers rarely parse.
const maxCreatedAtMs = 253402300799999

// parseCreatedAt accepts an RFC 3339 string or epoch milliseconds.
func parseCreatedAt(v json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("must be an RFC 3339 time such as 2026-08-21T12:00:00.000Z or epoch milliseconds")
		}
		if t.Year() < 1970 || t.Year() > 9999 {
			return time.Time{}, errors.New("must be between 1970 and 9999")
		}
		return t.UTC(), nil
	}
	ms, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 string or an integer of epoch milliseconds")
	}
	if ms < 0 || ms > maxCreatedAtMs {
		return time.Time{}, errors.New("epoch milliseconds must be between 0 and 253402300799999")
	}
	return time.UnixMilli(ms).UTC(), nil
}
