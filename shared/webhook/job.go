package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EventMessage is one event produced by mapping an ingest record: its id, its name
// and Logto's payload for it without the trailing hookId (added per hook at delivery).
type EventMessage struct {
	ID    string `json:"id"`
	Event Event  `json:"event"`
	// Payload is the compact JSON object Logto would send, keys in Logto's order,
	// minus "hookId". It is built once at ingest and never re-marshalled.
	Payload json.RawMessage `json:"payload"`
	// HookIDAt, when not 0, says Payload keeps its hookId member in place, with
	// the placeholder value "" at this byte offset (see Job.HookIDAt).
	HookIDAt int `json:"hookIdAt,omitempty"`
}

// Job is the queue message: one delivery of one event to one hook. It is the
// contract between ingest and delivery (docs/architecture.md §3-§5) and is versioned so that a
// queue holding old messages survives an upgrade.
type Job struct {
	Version    int    `json:"v"`
	DeliveryID string `json:"deliveryId"`
	EventID    string `json:"eventId"`
	Event      Event  `json:"event"`
	HookID     string `json:"hookId"`
	// Payload is EventMessage.Payload; see Body.
	Payload json.RawMessage `json:"payload"`
	// HookIDAt is 0 for the usual job, whose Payload has no hookId and gets
	// it appended as the last key. A relayed Logto body whose hookId is not
	// last (Logto's test payload puts it second) keeps the member where it
	// is instead: Payload holds it with the value "" and HookIDAt is the
	// offset of that "" in Payload, which Body replaces with the hook's id.
	// Such jobs are version JobVersionPositional, so a delivery function
	// older than the format dead-letters them rather than sending a body
	// with two hookIds.
	HookIDAt int `json:"hookIdAt,omitempty"`
	// Attempt is the number of attempts made before this message was sent: the
	// embedded queue keeps every attempt here, and on SQS a deferred job's copy
	// carries it, the copy's receive count adding the rest (see ReceiveAttempt).
	Attempt int `json:"attempt,omitempty"`
	// QueuedAt (epoch ms) is when ingest queued the job, or a redrive requeued
	// it. It bounds how long the delivery service may defer the job without an
	// attempt (see delivery.Service): a job held back by an open circuit for
	// longer than its retry schedule goes to the dead-letter queue, as it would
	// have had every attempt failed. 0 (jobs from before the field): no bound.
	QueuedAt int64 `json:"queuedAt,omitempty"`
}

// ReceiveAttempt is the 1-based attempt number of a receive of j on SQS, whose
// ApproximateReceiveCount attribute is receiveCount: the attempts j carries
// plus the receives of this message.
func ReceiveAttempt(j Job, receiveCount string) int {
	n, err := strconv.Atoi(receiveCount)
	if err != nil || n < 1 {
		n = 1
	}
	return max(j.Attempt, 0) + n
}

// JobVersion is the Job format this code writes for every job but a
// positional one (HookIDAt set), which is JobVersionPositional.
const (
	JobVersion           = 1
	JobVersionPositional = 2
)

// hookIDPlaceholder is the value a positional payload holds for hookId.
const hookIDPlaceholder = `""`

// NewJob returns the delivery job of event m for hook hookID.
func NewJob(m EventMessage, hookID string) Job {
	j := Job{
		Version:    JobVersion,
		DeliveryID: DeliveryID(m.ID, hookID),
		EventID:    m.ID,
		Event:      m.Event,
		HookID:     hookID,
		Payload:    m.Payload,
		HookIDAt:   m.HookIDAt,
	}
	if m.HookIDAt != 0 {
		j.Version = JobVersionPositional
	}
	return j
}

// Validate checks a job read from a queue. A job that fails it can never be
// delivered: the delivery service logs and dead-letters it instead of retrying.
func (j *Job) Validate() error {
	switch {
	case j.Version != JobVersion && j.Version != JobVersionPositional:
		return fmt.Errorf("job version %d is not supported (want %d or %d)", j.Version, JobVersion, JobVersionPositional)
	case (j.Version == JobVersionPositional) != (j.HookIDAt != 0):
		return fmt.Errorf("job version %d with hookIdAt %d: hookIdAt belongs to version %d only", j.Version, j.HookIDAt, JobVersionPositional)
	case j.DeliveryID == "" || j.EventID == "" || j.HookID == "":
		return errors.New("job lacks deliveryId, eventId or hookId")
	case !j.Event.Valid():
		return fmt.Errorf("job has unknown event %q", j.Event)
	}
	p := bytes.TrimSpace(j.Payload)
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return errors.New("job payload is not a JSON object")
	}
	if j.HookIDAt != 0 && (j.HookIDAt < 0 || j.HookIDAt+len(hookIDPlaceholder) > len(j.Payload) ||
		string(j.Payload[j.HookIDAt:j.HookIDAt+len(hookIDPlaceholder)]) != hookIDPlaceholder) {
		return fmt.Errorf("job hookIdAt %d does not point at the payload's hookId placeholder", j.HookIDAt)
	}
	return nil
}

// Body returns the bytes a receiver gets: the payload with "hookId" appended as its
// last key, exactly as Logto does at send time, or for a positional job (HookIDAt)
// the payload with the hook's id in place of the placeholder. Call it on
// validated jobs only. The payload is never re-marshalled,
// so its key order and the signed bytes stay Logto's.
func (j *Job) Body() []byte {
	id, _ := json.Marshal(j.HookID) // a string always marshals
	if j.HookIDAt != 0 {
		at := j.HookIDAt
		body := make([]byte, 0, len(j.Payload)-len(hookIDPlaceholder)+len(id))
		body = append(body, j.Payload[:at]...)
		body = append(body, id...)
		return append(body, j.Payload[at+len(hookIDPlaceholder):]...)
	}
	p := bytes.TrimSpace(j.Payload)
	body := make([]byte, 0, len(p)+len(id)+12)
	body = append(body, p[:len(p)-1]...)
	if len(bytes.TrimSpace(p[1:len(p)-1])) > 0 {
		body = append(body, ',')
	}
	body = append(body, `"hookId":`...)
	body = append(body, id...)
	return append(body, '}')
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return prefix + idEncoding.EncodeToString(h.Sum(nil)[:16])
}

// EventID returns the deterministic id of the event named e produced by a record
// whose producer id is recordID: the same record sent again yields the same id.
func EventID(recordID string, e Event) string {
	return hashID("evt_", recordID, string(e))
}

// DeliveryID returns the webhook-id of the delivery of an event to a hook. It is
// stable across retries and redrives, so receivers can dedupe on it.
func DeliveryID(eventID, hookID string) string {
	return hashID("msg_", eventID, hookID)
}

// RandomEventID returns a fresh event id for records that carry no producer id.
func RandomEventID() string {
	return "evt_" + strings.ToLower(randomString(alphanumeric[:36], 26))
}
