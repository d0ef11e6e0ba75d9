package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
)

// relayBody is a Logto webhook body taken apart for the fan-out: the job
// payload each hook's body is rebuilt from (webhook.Job.Body), and the two
// envelope fields the relay reads.
type relayBody struct {
	// payload is the body without its hookId value: with hookId last (or
	// absent) the body minus that member, hookId appended at delivery; else
	// the body with the value replaced by "" at hookIDAt.
	payload   []byte
	hookIDAt  int
	event     string
	createdAt string
}

// parseRelayBody takes a body apart. Logto writes bodies with JSON.stringify,
// compact; a body with white space between tokens is compacted first, since
// the queue's job encoding would compact it anyway, so what hooks receive is
// then the compact form. Everything else (key order, escapes, numbers) stays
// as sent. Errors say what is wrong with the body; they are shown only after
// its signature verified.
func parseRelayBody(body []byte) (relayBody, error) {
	var b relayBody
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return b, errors.New("the body is not valid JSON")
	}
	body = compact.Bytes()
	members, err := jsonobject.Members(body, jsonobject.Reject)
	if err != nil {
		return b, fmt.Errorf("the body must be one JSON object: %v", err)
	}
	hook := -1
	for i, m := range members {
		var s string
		switch m.Key {
		case "hookId":
			hook = i
		case "event":
			if json.Unmarshal(m.Value, &s) != nil {
				return b, errors.New("event must be a string")
			}
			b.event = s
		case "createdAt":
			if json.Unmarshal(m.Value, &s) != nil {
				return b, errors.New("createdAt must be a string (an ISO 8601 time)")
			}
			b.createdAt = s
		}
	}
	if b.event == "" {
		return b, errors.New("event is required: the body is not a Logto webhook payload")
	}
	if b.createdAt == "" {
		return b, errors.New("createdAt is required: the body is not a Logto webhook payload")
	}
	switch {
	case hook < 0:
		b.payload = body // hookId is appended, as Logto does
	case hook == len(members)-1:
		// Cut from the end of the member before it (or the opening brace) to
		// the end of hookId's value: appending hookId restores the body.
		m := members[hook]
		start := 1
		if hook > 0 {
			prev := members[hook-1]
			start = prev.Offset + len(prev.Value)
		}
		b.payload = append(append([]byte(nil), body[:start]...), body[m.Offset+len(m.Value):]...)
	default:
		m := members[hook]
		b.payload = make([]byte, 0, len(body))
		b.payload = append(b.payload, body[:m.Offset]...)
		b.payload = append(b.payload, `""`...)
		b.payload = append(b.payload, body[m.Offset+len(m.Value):]...)
		b.hookIDAt = m.Offset
	}
	return b, nil
}
