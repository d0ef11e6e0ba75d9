package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Defaults of Limits' zero values. docs/fanout.md explains the numbers.
const (
	// DefaultMaxDeliveries is 500 records (a full request) times 20 hooks.
	DefaultMaxDeliveries = 10_000
	// DefaultMaxJobBytes is SQS's classic maximum message size, which the SQS
	// adapter batches for (sqsqueue.MaxMessageBytes). The embedded queue has no
	// limit of its own; applying this one there too makes `webhooks dev` refuse
	// what AWS would.
	DefaultMaxJobBytes = 256 << 10
	// DefaultMaxRequestJobBytes bounds the bytes one request puts on the queue:
	// a full 1 MiB request times 20 hooks fits, while the 1,000 or more
	// SendMessageBatch calls it takes finish in a few seconds, far inside the
	// function's 29 s timeout.
	DefaultMaxRequestJobBytes = 32 << 20
)

// Limits bound the fan-out of one ingest request: every job is checked against
// them before the first is queued, so a request over a limit is refused whole
// (413, naming the limit) instead of queueing part of its jobs and failing on
// every retry. Every zero value selects a default.
type Limits struct {
	// MaxDeliveries bounds the jobs (events x subscribed hooks) of one request
	// (default DefaultMaxDeliveries).
	MaxDeliveries int
	// MaxJobBytes is the largest encoded job the queue takes, its maximum
	// message size (default DefaultMaxJobBytes).
	MaxJobBytes int
	// MaxRequestJobBytes bounds the encoded jobs of one request together
	// (default DefaultMaxRequestJobBytes).
	MaxRequestJobBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxDeliveries <= 0 {
		l.MaxDeliveries = DefaultMaxDeliveries
	}
	if l.MaxJobBytes <= 0 {
		l.MaxJobBytes = DefaultMaxJobBytes
	}
	if l.MaxRequestJobBytes <= 0 {
		l.MaxRequestJobBytes = DefaultMaxRequestJobBytes
	}
	return l
}

// event is a mapped event with the index of the record it came from, so a
// refusal can name the record.
type event struct {
	webhook.EventMessage
	record int
}

// fanout is the checked plan of one request: its events and, per event, the
// indexes of the hooks subscribed to it.
type fanout struct {
	queuedAt int64 // every job's QueuedAt: the same width for all, so sizes stay exact
	events   []event
	hooks    []webhook.Hook
	subs     [][]int
	jobs     int
	bytes    int64
}

// planFanout finds the subscribed hooks of every event and checks the request
// against l without encoding a job per delivery: a job's encoding differs
// between hooks only in the hook id (delivery ids all have one length), so one
// encoding per event, for its subscribed hook with the longest id, gives the
// exact size of its largest job, and the size of every other job follows from
// the lengths of the ids. The error is an *Error (413) naming the limit: first
// a record whose job cannot fit the queue, then the delivery count, then the
// bytes, each with the request's whole figures.
func planFanout(events []event, hooks []webhook.Hook, l Limits, queuedAt int64) (*fanout, error) {
	idLen := make([]int, len(hooks))
	for i := range hooks {
		idLen[i] = jsonStringLen(hooks[i].ID)
	}
	f := &fanout{queuedAt: queuedAt, events: events, hooks: hooks, subs: make([][]int, len(events))}
	perRecord := map[int]int{}
	for k, e := range events {
		longest, idBytes, n := -1, int64(0), 0
		for i := range hooks {
			if !hooks[i].Subscribed(e.Event) {
				continue
			}
			if f.jobs+n < l.MaxDeliveries {
				f.subs[k] = append(f.subs[k], i) // past the limit only the count matters
			}
			n++
			idBytes += int64(idLen[i])
			if longest < 0 || idLen[i] > idLen[longest] {
				longest = i
			}
		}
		if n == 0 {
			continue
		}
		f.jobs += n
		perRecord[e.record] += n
		b, err := webhook.EncodeJob(f.job(e, longest))
		if err != nil {
			return nil, fmt.Errorf("size job of records[%d]: %w", e.record, err)
		}
		if len(b) > l.MaxJobBytes {
			r := e.record
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "job_too_large", Record: &r,
				Message: fmt.Sprintf("its %s event makes a delivery job of %d bytes; the queue takes at most %d bytes per job "+
					"(the event's payload plus about 150 bytes); make the record smaller", e.Event, len(b), l.MaxJobBytes)}
		}
		// Every job of e is the longest one minus the difference in id length.
		f.bytes += int64(n)*int64(len(b)-idLen[longest]) + idBytes
	}
	if f.jobs > l.MaxDeliveries {
		return nil, tooManyDeliveries(f.jobs, perRecord, l)
	}
	if f.bytes > l.MaxRequestJobBytes {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "fanout_too_large",
			Message: fmt.Sprintf("the request's %d delivery jobs come to %d bytes; at most %d bytes are allowed per request; "+
				"split the records over several requests", f.jobs, f.bytes, l.MaxRequestJobBytes)}
	}
	return f, nil
}

// tooManyDeliveries is the refusal of a request making total deliveries,
// perRecord of them per record index. It names the record when that record
// alone is over the limit, since splitting the request cannot help it.
func tooManyDeliveries(total int, perRecord map[int]int, l Limits) *Error {
	worst, most := -1, 0
	for r, n := range perRecord {
		if n > most || n == most && r < worst {
			worst, most = r, n
		}
	}
	if most > l.MaxDeliveries {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_many_deliveries", Record: &worst,
			Message: fmt.Sprintf("the record makes %d deliveries (events x subscribed hooks) on its own; at most %d are allowed "+
				"per request; raise the limit or subscribe fewer hooks to its events", most, l.MaxDeliveries)}
	}
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_many_deliveries",
		Message: fmt.Sprintf("the request makes %d deliveries (events x subscribed hooks); at most %d are allowed per request; "+
			"split the records over several requests", total, l.MaxDeliveries)}
}

// jsonStringLen is the length of s as EncodeJob writes it: quoted, escaped,
// HTML characters left alone.
func jsonStringLen(s string) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)    // a string always encodes
	return buf.Len() - 1 // the newline Encode appends
}

// chunks yields the planned jobs in slices of at most size, built as they are
// asked for, so a request's jobs never all exist at once.
func (f *fanout) chunks(size int, yield func([]webhook.Job) error) error {
	chunk := make([]webhook.Job, 0, min(size, f.jobs))
	for k, e := range f.events {
		for _, i := range f.subs[k] {
			chunk = append(chunk, f.job(e, i))
			if len(chunk) == size {
				if err := yield(chunk); err != nil {
					return err
				}
				chunk = make([]webhook.Job, 0, min(size, f.jobs))
			}
		}
	}
	if len(chunk) > 0 {
		return yield(chunk)
	}
	return nil
}

// job is the delivery job of e for hook i.
func (f *fanout) job(e event, i int) webhook.Job {
	j := webhook.NewJob(e.EventMessage, f.hooks[i].ID)
	j.QueuedAt = f.queuedAt
	return j
}
