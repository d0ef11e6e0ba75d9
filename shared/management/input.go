package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Body fields Logto's guards accept but ignore (id, signingKey) or that only exist
// in responses. Tolerating them lets a client PATCH back a hook it just read;
// every other unknown field is a 400, because a silently dropped typo ("event" for
// "events" aside) is a hook that does not do what its author thinks.
var ignoredHookFields = map[string]bool{
	"id": true, "tenantId": true, "signingKey": true, "createdAt": true,
	"executionStats": true, "previousKeyExpiresAt": true, "disabledReason": true,
}

// readBody reads at most MaxBodyBytes. Content-Type is not checked: curl users
// forget it and Logto's body parser would then see no body at all.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &Error{Kind: errTooLarge, Code: "request.body_too_large",
			Message: fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes)}
	case err != nil:
		return nil, invalid("", "could not read the request body")
	}
	return b, nil
}

// parseObject decodes a JSON object into its raw members. An empty body is the
// empty object, as for Logto's body parser.
func parseObject(raw []byte, field string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 && field == "" {
		return map[string]json.RawMessage{}, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		if field == "" {
			if !json.Valid(raw) {
				return nil, invalid("", "request body is not valid JSON")
			}
			return nil, invalid("", "request body must be a JSON object")
		}
		return nil, invalid(field, "must be an object")
	}
	if err := json.Unmarshal(raw, new(json.RawMessage)); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, invalid(field, fmt.Sprintf("malformed JSON at offset %d: %v", syn.Offset, syn))
		}
		return nil, invalid(field, "must be an object")
	}
	members, err := jsonobject.Members(raw, jsonobject.Reject)
	if dup, ok := errors.AsType[*jsonobject.DuplicateKeyError](err); ok {
		prefix := ""
		if field != "" {
			prefix = field + "."
		}
		return nil, invalid(prefix+dup.Key, "appears more than once; JSON decoders disagree on which one counts")
	}
	if err != nil {
		return nil, invalid(field, "must be an object")
	}
	m := make(map[string]json.RawMessage, len(members))
	for _, mb := range members {
		m[mb.Key] = mb.Value
	}
	return m, nil
}

// readObject reads a body that must be a JSON object with only the allowed
// members (an empty body is the empty object).
func readObject(w http.ResponseWriter, r *http.Request, allowed map[string]bool) (map[string]json.RawMessage, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return parseFields(body, allowed, nil)
}

// parseFields decodes a body object and rejects members outside allowed and
// ignored.
func parseFields(body []byte, allowed, ignored map[string]bool) (map[string]json.RawMessage, error) {
	m, err := parseObject(body, "")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "", allowed, ignored); err != nil {
		return nil, err
	}
	return m, nil
}

// checkKeys rejects members outside allowed and ignored, naming the first in
// sorted order so the error is stable.
func checkKeys(m map[string]json.RawMessage, prefix string, allowed, ignored map[string]bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !allowed[k] && !ignored[k] {
			return invalid(prefix+k, "is not a known field")
		}
	}
	return nil
}

func parseString(raw json.RawMessage, field string) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", invalid(field, "must be a string")
	}
	return s, nil
}

func parseBool(raw json.RawMessage, field string) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(field, "must be a boolean")
}

// parseInt accepts integral JSON numbers (3 and 3.0, as JavaScript does) in
// [lo, hi].
func parseInt(raw json.RawMessage, field string, lo, hi int64) (int64, error) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, invalid(field, "must be an integer")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, invalid(field, "must be an integer")
	}
	if f < float64(lo) || f > float64(hi) {
		return 0, invalid(field, fmt.Sprintf("must be between %d and %d", lo, hi))
	}
	return int64(f), nil
}

func parseEvent(raw json.RawMessage, field string) (webhook.Event, error) {
	s, err := parseString(raw, field)
	if err != nil {
		return "", err
	}
	e := webhook.Event(s)
	switch {
	case e.Valid():
		return e, nil
	case s == "":
		return "", invalid(field, "event name is empty")
	case len(s) > maxEventNameLen:
		// No suggestion: the edit distance of a long string costs a lot and no
		// event name is near it.
		return "", invalid(field, fmt.Sprintf("unknown event %q...", s[:maxEventNameLen]))
	}
	near := webhook.Closest(s)
	if near == "" {
		return "", invalid(field, fmt.Sprintf("unknown event %q", s))
	}
	ae := invalid(field, fmt.Sprintf("unknown event %q (did you mean %q?)", s, near))
	ae.Data = map[string]string{"field": field, "suggestion": string(near)}
	return "", ae
}

// maxEventNameLen is beyond the longest event name (31 bytes).
const maxEventNameLen = 64

// parseEvents checks a non-empty array of event names and drops duplicates,
// keeping the first, as Logto's nonemptyUniqueHookEventsGuard does.
func parseEvents(raw json.RawMessage, field string) ([]webhook.Event, error) {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, invalid(field, "must be an array of event names")
	}
	if len(items) == 0 {
		return nil, invalid(field, "must name at least one event")
	}
	events := make([]webhook.Event, 0, len(items))
	for i, item := range items {
		e, err := parseEvent(item, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	return events, nil
}

var configFields = map[string]bool{"url": true, "headers": true, "retries": true, "timeoutMs": true, "maxInFlight": true}

// parseConfig checks the shape of a HookConfig; Hook.Validate checks the values.
func parseConfig(raw json.RawMessage) (*HookConfig, error) {
	m, err := parseObject(raw, "config")
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "config.", configFields, nil); err != nil {
		return nil, err
	}
	var c HookConfig
	rawURL, ok := m["url"]
	if !ok {
		return nil, invalid("config.url", "is required")
	}
	if c.URL, err = parseString(rawURL, "config.url"); err != nil {
		return nil, err
	}
	if rawHeaders, ok := m["headers"]; ok {
		hm, err := parseObject(rawHeaders, "config.headers")
		if err != nil {
			return nil, err
		}
		c.Headers = make(map[string]string, len(hm))
		for k, v := range hm {
			if c.Headers[k], err = parseString(v, "config.headers."+k); err != nil {
				return nil, err
			}
		}
	}
	if rawRetries, ok := m["retries"]; ok {
		n, err := parseInt(rawRetries, "config.retries", 0, webhook.MaxRetries)
		if err != nil {
			return nil, err
		}
		retries := int(n)
		c.Retries = &retries
	}
	if rawTimeout, ok := m["timeoutMs"]; ok {
		if c.TimeoutMs, err = parseInt(rawTimeout, "config.timeoutMs", 0, webhook.MaxTimeout.Milliseconds()); err != nil {
			return nil, err
		}
	}
	if raw, ok := m["maxInFlight"]; ok {
		n, err := parseInt(raw, "config.maxInFlight", 0, webhook.MaxInFlight)
		if err != nil {
			return nil, err
		}
		c.MaxInFlight = int(n)
	}
	return &c, nil
}

var hookFields = map[string]bool{"name": true, "events": true, "event": true, "config": true, "enabled": true}

// readHookInput reads and parses a POST or PATCH /hooks body.
func readHookInput(w http.ResponseWriter, r *http.Request) (HookInput, error) {
	body, err := readBody(w, r)
	if err != nil {
		return HookInput{}, err
	}
	return parseHookInput(body)
}

// parseName checks a name field: a string of 1 to max characters.
func parseName(raw json.RawMessage, max int) (*string, error) {
	name, err := parseString(raw, "name")
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > max {
		return nil, invalid("name", fmt.Sprintf("must be 1 to %d characters", max))
	}
	return &name, nil
}

// parseHookInput checks a POST or PATCH /hooks body field by field. It checks
// shapes and event names; the Service checks the merged hook.
func parseHookInput(body []byte) (HookInput, error) {
	var in HookInput
	m, err := parseFields(body, hookFields, ignoredHookFields)
	if err != nil {
		return in, err
	}
	if raw, ok := m["name"]; ok {
		if in.Name, err = parseName(raw, webhook.MaxHookNameLen); err != nil {
			return in, err
		}
	}
	if raw, ok := m["events"]; ok {
		if in.Events, err = parseEvents(raw, "events"); err != nil {
			return in, err
		}
	}
	if raw, ok := m["event"]; ok {
		if string(raw) == "null" {
			in.ClearEvent = true
		} else {
			e, err := parseEvent(raw, "event")
			if err != nil {
				return in, err
			}
			in.Event = &e
		}
	}
	if raw, ok := m["config"]; ok {
		if in.Config, err = parseConfig(raw); err != nil {
			return in, err
		}
	}
	if raw, ok := m["enabled"]; ok {
		b, err := parseBool(raw, "enabled")
		if err != nil {
			return in, err
		}
		in.Enabled = &b
	}
	return in, nil
}
