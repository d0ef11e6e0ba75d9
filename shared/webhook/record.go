package webhook

import (
	"encoding/json"
	"time"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
)

// Limits of one ingest request (docs/architecture.md §3). They keep a request within one Lambda
// invocation's memory and a sane SQS fan-out.
const (
	MaxRecords      = 500
	MaxRequestBytes = 1 << 20
	// MaxRecordIDLen bounds a producer record id: it is hashed into event ids
	// but also echoed in errors and logs.
	MaxRecordIDLen = 256
)

// RecordType names the kind of an ingest record.
type RecordType string

// The three record types of docs/architecture.md §3.
const (
	RecordManagementAPI RecordType = "managementApi"
	RecordInteraction   RecordType = "interaction"
	RecordEvent         RecordType = "event"
)

// InteractionEvent is Logto's interaction type (SignIn, Register, ForgotPassword).
type InteractionEvent string

// Logto's three interaction types.
const (
	InteractionSignIn         InteractionEvent = "SignIn"
	InteractionRegister       InteractionEvent = "Register"
	InteractionForgotPassword InteractionEvent = "ForgotPassword"
)

// LinkedKinds are the values an interaction record's `linked` may hold: what the
// flow added to the user, which makes Logto fire User.Data.Updated.
var LinkedKinds = []string{"email", "phone", "mfa", "social", "sso", "password", "profile"}

// Record is one decoded, validated ingest record: what a producer reports happened.
// Values that end up in payloads verbatim (bodies, user, application, fields) stay
// raw compact JSON so the producer's key order survives to the receiver. Empty
// strings and nil raw values mean "absent"; JSON null decodes as absent.
type Record struct {
	Type RecordType
	// ID is the producer's id of the operation; when set, event ids derive from it
	// so a retried request yields the same ids.
	ID string
	// CreatedAt is when it happened; zero means the time of mapping.
	CreatedAt time.Time
	IP        string
	UserAgent string

	// managementApi records.
	Method       string // upper-case
	Path         string // as sent; mapping strips /api and the query
	Status       int
	MatchedRoute string
	Params       json.RawMessage // object of strings, or nil
	RequestBody  json.RawMessage
	ResponseBody json.RawMessage
	// Data overrides ResponseBody as the payload's data (e.g. the user before
	// DELETE /users/:userId).
	Data json.RawMessage
	// Scopes are the full scope rows of requestBody.scopeIds for POST /roles,
	// the data of its extra Role.Scopes.Updated event.
	Scopes                json.RawMessage
	OrganizationID        string
	AddedUserIDs          []string
	RemovedUserIDs        []string
	AddedApplicationIDs   []string
	RemovedApplicationIDs []string

	// interaction records (InteractionEvent, ApplicationID, CIMDClientID,
	// SessionID and Application also serve event records).
	InteractionEvent  InteractionEvent
	UserID            string
	SessionID         string
	User              json.RawMessage
	Application       json.RawMessage
	ApplicationID     string
	CIMDClientID      string
	Linked            []string
	AdaptiveMfaResult json.RawMessage

	// event records.
	Event  Event
	Fields json.RawMessage
}

// FormatTime formats t the way JavaScript's Date.toISOString does, as Logto's
// createdAt fields are: UTC, milliseconds, "Z".
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// userObjectID returns user.id when user is an object with a string id.
func userObjectID(user json.RawMessage) string { return jsonobject.String(user, "id") }

// EffectiveUserID returns the interaction record's userId, or user.id when the
// producer gave only the user object.
func (r *Record) EffectiveUserID() string {
	if r.UserID != "" {
		return r.UserID
	}
	return userObjectID(r.User)
}

// EffectiveApplicationID returns the record's applicationId, or application.id.
func (r *Record) EffectiveApplicationID() string {
	if r.ApplicationID != "" {
		return r.ApplicationID
	}
	return jsonobject.String(r.Application, "id")
}
