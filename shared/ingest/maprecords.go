package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// MapAll maps decoded records to their events with createdAt defaulting to
// now, each by its kind's mapping (see Map). It is what POST /events queues,
// before the fan-out to hooks.
func MapAll(records []webhook.Record, now time.Time) ([]webhook.EventMessage, error) {
	return Map(mapping.Mapper{Now: func() time.Time { return now }}, records)
}

// Map maps decoded records with m. It fails on the first record that cannot
// be mapped, with the record's index in the *webhook.FieldError, so callers
// can refuse the whole request before enqueueing anything.
func Map(m mapping.Mapper, records []webhook.Record) ([]webhook.EventMessage, error) {
	events, err := mapRecords(m, records)
	if err != nil {
		return nil, err
	}
	out := make([]webhook.EventMessage, len(events))
	for i, e := range events {
		out[i] = e.EventMessage
	}
	return out, nil
}

func mapRecords(m mapping.Mapper, records []webhook.Record) ([]event, error) {
	var out []event
	for i, r := range records {
		k, err := kindOf(r.Type)
		if err == nil {
			var msgs []webhook.EventMessage
			msgs, err = m.Map(r, k.mapping)
			for _, msg := range msgs {
				out = append(out, event{EventMessage: msg, record: i})
			}
		}
		if err != nil {
			var fe *webhook.FieldError
			if errors.As(err, &fe) {
				fe.Record = i
				return nil, fe
			}
			return nil, fmt.Errorf("map records[%d]: %w", i, err)
		}
	}
	return out, nil
}
