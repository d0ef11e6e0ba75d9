package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// DecodeRequest decodes and validates an ingest request body: {"records":[...]} or
// one bare record (docs/architecture.md §3). It checks every record before
// returning, so a caller can enqueue all or nothing. Errors are
// *webhook.FieldError: Record is the failing record's index, or -1 for a problem
// with the request as a whole.
func DecodeRequest(body []byte) ([]webhook.Record, error) {
	if len(body) > webhook.MaxRequestBytes {
		return nil, &webhook.FieldError{Record: -1, Reason: fmt.Sprintf("request body is larger than %d bytes", webhook.MaxRequestBytes)}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, &webhook.FieldError{Record: -1, Reason: "request body is empty; send {\"records\":[...]}"}
	}
	if body[0] != '{' {
		if !json.Valid(body) {
			return nil, &webhook.FieldError{Record: -1, Reason: "request body is not valid JSON"}
		}
		return nil, &webhook.FieldError{Record: -1, Reason: "request body must be a JSON object: {\"records\":[...]} or one record"}
	}
	top, err := jsonobject.Members(body, jsonobject.Reject)
	if err != nil {
		return nil, &webhook.FieldError{Record: failingRecord(body), Reason: "request body is not valid JSON: " + err.Error()}
	}
	raws, ferr := splitRecords(top, body)
	if ferr != nil {
		return nil, ferr
	}
	records := make([]webhook.Record, len(raws))
	seen := make(map[string]int)
	for i, raw := range raws {
		r, err := decodeRecord(raw)
		if err != nil {
			var fe *webhook.FieldError
			if errors.As(err, &fe) {
				fe.Record = i
				return nil, fe
			}
			return nil, &webhook.FieldError{Record: i, Reason: err.Error()}
		}
		if r.ID != "" {
			if j, dup := seen[r.ID]; dup {
				return nil, &webhook.FieldError{Record: i, Field: "id", Reason: fmt.Sprintf("repeats the id of records[%d]; ids name one operation each", j)}
			}
			seen[r.ID] = i
		}
		records[i] = r
	}
	return records, nil
}

// splitRecords returns the raw records of a request whose top-level object is top.
func splitRecords(top []jsonobject.Member, body []byte) ([]json.RawMessage, *webhook.FieldError) {
	var list json.RawMessage
	isWrapper := false
	for _, m := range top {
		if m.Key == "records" {
			isWrapper = true
		}
	}
	if !isWrapper {
		return []json.RawMessage{body}, nil
	}
	for _, m := range top {
		if m.Key != "records" {
			return nil, &webhook.FieldError{Record: -1, Field: m.Key, Reason: "unknown field; a request is {\"records\":[...]}"}
		}
		list = m.Value
	}
	if len(list) == 0 || list[0] != '[' {
		return nil, &webhook.FieldError{Record: -1, Field: "records", Reason: "must be an array of records"}
	}
	dec := json.NewDecoder(bytes.NewReader(list))
	if _, err := dec.Token(); err != nil {
		return nil, &webhook.FieldError{Record: -1, Field: "records", Reason: "is not valid JSON: " + err.Error()}
	}
	var raws []json.RawMessage
	for i := 0; dec.More(); i++ {
		if i == webhook.MaxRecords {
			return nil, &webhook.FieldError{Record: -1, Field: "records", Reason: fmt.Sprintf("holds more than %d records; split the request", webhook.MaxRecords)}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, &webhook.FieldError{Record: i, Reason: "record is not valid JSON: " + err.Error()}
		}
		raws = append(raws, raw)
	}
	if len(raws) == 0 {
		return nil, &webhook.FieldError{Record: -1, Field: "records", Reason: "is empty; send at least one record"}
	}
	return raws, nil
}

// failingRecord returns the index of the first record of a wrapped request that is
// not valid JSON, or -1 when the error lies elsewhere.
func failingRecord(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return -1
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return -1
		}
		if key != "records" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return -1
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return -1
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return i
			}
		}
		return -1
	}
	return -1
}

// decodeRecord decodes one record by its kind's table entry and validates it.
// Errors are *webhook.FieldError with Record -1; DecodeRequest sets the index.
func decodeRecord(raw json.RawMessage) (webhook.Record, error) {
	var r webhook.Record
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return r, fieldError("", "record must be a JSON object")
	}
	members, err := jsonobject.Members(raw, jsonobject.Reject)
	if err != nil {
		return r, fieldError("", "record is not valid JSON: "+err.Error())
	}
	for _, m := range members {
		if m.Key == "type" {
			var t string
			if json.Unmarshal(m.Value, &t) != nil {
				return r, fieldError("type", "must be a string: "+kindNames())
			}
			r.Type = webhook.RecordType(t)
		}
	}
	k, err := kindOf(r.Type)
	if err != nil {
		return r, err
	}
	for _, m := range members {
		f, ok := k.field(m.Key)
		if !ok {
			return r, fieldError(m.Key, fmt.Sprintf("unknown field for %s records (allowed: %s)", r.Type, k.fieldNames()))
		}
		if f.set == nil || isNull(m.Value) {
			continue // type, read above; null means absent
		}
		if err := f.set(&r, m.Value); err != nil {
			return r, err
		}
	}
	return r, k.check(&r)
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func fieldError(field, reason string) error {
	return &webhook.FieldError{Record: -1, Field: field, Reason: reason}
}
