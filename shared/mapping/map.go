// Package mapping turns ingest records into Logto's webhook events: it holds
// Logto's Management API route table, the rules of which request fires which
// event, and payload builders that write each payload's keys in Logto's order
// (docs/logto-webhooks.md §2-§5), so receivers get the bytes Logto would send.
//
// Payloads never carry hookId: delivery appends it last (webhook.Job.Body).
package mapping

import (
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

// Kind is how one kind of record becomes payloads. Each record kind of the
// ingest contract has one (ingest's table of record kinds names it beside the
// kind's fields and validation), so adding a kind adds a Kind here and an
// entry there.
type Kind struct {
	build func(b builder) ([]payload, error)
}

// The kinds of docs/architecture.md §3.1.
var (
	// ManagementAPI maps a Management API request through Logto's route
	// table (docs/logto-webhooks.md §2-§3).
	ManagementAPI = Kind{build: builder.managementAPI}
	// Interaction maps an end-user flow (docs/logto-webhooks.md §4).
	Interaction = Kind{build: func(b builder) ([]payload, error) { return b.interaction(), nil }}
	// Explicit maps an event record: one named event and its fields.
	Explicit = Kind{build: func(b builder) ([]payload, error) { return []payload{b.explicit()}, nil }}
)

// Map returns the events record r, of kind k, produces, in Logto's queue
// order. r must have passed its kind's validation (ingest decodes and
// validates records); Map checks only what needs the route table. A record
// that fires nothing (a non-2xx status, a route without hooks) yields no
// events and no error. Errors are *webhook.FieldError with Record -1.
func (m Mapper) Map(r webhook.Record, k Kind) ([]webhook.EventMessage, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	createdAt := r.CreatedAt
	if createdAt.IsZero() {
		createdAt = now()
	}
	payloads, err := k.build(builder{r: &r, createdAt: webhook.FormatTime(createdAt)})
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
