// Package mapping turns ingest records into Logto's webhook events: it holds
// Logto's Management API route table, the rules of which request fires which
// event, and payload builders that write each payload's keys in Logto's order
// (docs/logto-webhooks.md §2-§5), so receivers get the bytes Logto would send.
//
// Payloads never carry hookId: delivery appends it last (webhook.Job.Body).
package mapping

import (
	"errors"
	"fmt"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Mapper maps records with an injectable clock and id source. The zero value
// uses time.Now and webhook.RandomEventID.
type Mapper struct {
	// Now gives the createdAt of records that carry none.
	Now func() time.Time
	// NewID gives the id of an event whose record has no producer id.
	NewID func() string
}

// Map returns the events record r produces, in Logto's queue order. A record
// that fires nothing (a non-2xx status, a route without hooks) yields no events
// and no error. Errors are *webhook.FieldError with Record -1.
func (m Mapper) Map(r webhook.Record) ([]webhook.EventMessage, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	createdAt := r.CreatedAt
	if createdAt.IsZero() {
		createdAt = now()
	}
	b := builder{r: &r, createdAt: webhook.FormatTime(createdAt)}
	var (
		payloads []payload
		err      error
	)
	switch r.Type {
	case webhook.RecordManagementAPI:
		payloads, err = b.managementAPI()
	case webhook.RecordInteraction:
		payloads = b.interaction()
	case webhook.RecordEvent:
		payloads = []payload{b.explicit()}
	}
	if err != nil {
		return nil, err
	}
	newID := webhook.RandomEventID
	if m.NewID != nil {
		newID = m.NewID
	}
	out := make([]webhook.EventMessage, len(payloads))
	for i, p := range payloads {
		id := newID()
		if r.ID != "" {
			id = webhook.EventID(r.ID, p.event)
		}
		out[i] = webhook.EventMessage{ID: id, Event: p.event, Payload: p.body}
	}
	return out, nil
}

// MapAll maps every record; it fails on the first record that cannot be mapped,
// with the record's index in the *webhook.FieldError, so callers can refuse the
// whole request before enqueueing anything.
func (m Mapper) MapAll(records []webhook.Record) ([]webhook.EventMessage, error) {
	var out []webhook.EventMessage
	for i, r := range records {
		events, err := m.Map(r)
		if err != nil {
			var fe *webhook.FieldError
			if errors.As(err, &fe) {
				fe.Record = i
				return nil, fe
			}
			return nil, fmt.Errorf("map records[%d]: %w", i, err)
		}
		out = append(out, events...)
	}
	return out, nil
}

// Map maps one record with createdAt defaulting to now.
func Map(r webhook.Record, now time.Time) ([]webhook.EventMessage, error) {
	return Mapper{Now: func() time.Time { return now }}.Map(r)
}

// MapAll maps records with createdAt defaulting to now; see Mapper.MapAll.
func MapAll(records []webhook.Record, now time.Time) ([]webhook.EventMessage, error) {
	return Mapper{Now: func() time.Time { return now }}.MapAll(records)
}

// payload is one event and its bytes.
type payload struct {
	event webhook.Event
	body  []byte
}

// builder holds what every payload of one record shares.
type builder struct {
	r         *webhook.Record
	createdAt string
}

// start writes the envelope every payload begins with: event, createdAt.
func (b builder) start(e webhook.Event) *object {
	o := &object{}
	o.strAlways("event", string(e))
	o.strAlways("createdAt", b.createdAt)
	return o
}

func fieldError(field, reason string) error {
	return &webhook.FieldError{Record: -1, Field: field, Reason: reason}
}
