// Package jsonobject splits a JSON object into its members in document order,
// with their raw values and where each value sits in the input. It is the one
// object walker of the ingest decoder, the payload builders, the management
// API's input checks and the relay, which differ only in what a key given
// twice means: an error for input we validate, JSON.parse's answer for payloads
// we reproduce.
package jsonobject

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Member is one key of an object and its raw value, exactly the bytes of the
// input (not compacted). Offset is the index of the value's first byte in the
// input, so a caller can splice a new value in place of it.
type Member struct {
	Key    string
	Value  json.RawMessage
	Offset int
}

// Duplicates says what a key given twice means.
type Duplicates int

const (
	// Reject makes a repeated key an error: input we validate, where decoders
	// would disagree on which value counts.
	Reject Duplicates = iota
	// LastWins keeps the last value at the first key's position, as
	// JavaScript's JSON.parse does, for payloads built the way Logto builds them.
	LastWins
)

// ErrNotObject is returned for valid JSON that is not an object.
var ErrNotObject = errors.New("not a JSON object")

// DuplicateKeyError names a key given twice under Reject.
type DuplicateKeyError struct{ Key string }

func (e *DuplicateKeyError) Error() string { return fmt.Sprintf("key %q appears twice", e.Key) }

// Members returns the members of the object raw, which must be one JSON object
// (surrounding white space allowed) and nothing else. Errors are the decoder's
// syntax errors, ErrNotObject or, under Reject, a *DuplicateKeyError.
func Members(raw []byte, dup Duplicates) ([]Member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, ErrNotObject
	}
	var out []Member
	index := make(map[string]int)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		offset := int(dec.InputOffset()) - len(v)
		if i, seen := index[key]; seen {
			if dup == Reject {
				return nil, &DuplicateKeyError{Key: key}
			}
			out[i].Value, out[i].Offset = v, offset
			continue
		}
		index[key] = len(out)
		out = append(out, Member{Key: key, Value: v, Offset: offset})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

// IsObject reports whether raw starts like a JSON object (white space aside);
// it does not validate the rest.
func IsObject(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// String returns obj[key] when obj is a JSON object and that member a string,
// else "": for optional ids inside producer-supplied objects (user.id,
// application.id), where anything else simply means "not given".
func String(obj []byte, key string) string {
	if obj == nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) != nil {
		return ""
	}
	return s
}
