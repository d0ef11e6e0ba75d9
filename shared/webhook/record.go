package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
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

// recordFields lists, per type, the keys a record may carry, in documentation order.
var recordFields = map[RecordType][]string{
	RecordManagementAPI: {"type", "id", "createdAt", "ip", "userAgent", "method", "path", "status",
		"matchedRoute", "params", "requestBody", "responseBody", "data", "scopes", "organizationId",
		"addedUserIds", "removedUserIds", "addedApplicationIds", "removedApplicationIds"},
	RecordInteraction: {"type", "id", "createdAt", "ip", "userAgent", "interactionEvent", "userId",
		"sessionId", "user", "application", "applicationId", "cimdClientId", "linked", "adaptiveMfaResult"},
	RecordEvent: {"type", "id", "createdAt", "ip", "userAgent", "event", "fields", "interactionEvent",
		"applicationId", "cimdClientId", "sessionId", "application"},
}

// DecodeRequest decodes and validates an ingest request body: {"records":[...]} or
// one bare record. It checks every record before returning, so a caller can
// enqueue all or nothing. Errors are *FieldError: Record is the failing record's
// index, or -1 for a problem with the request as a whole.
func DecodeRequest(body []byte) ([]Record, error) {
	if len(body) > MaxRequestBytes {
		return nil, &FieldError{Record: -1, Reason: fmt.Sprintf("request body is larger than %d bytes", MaxRequestBytes)}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, &FieldError{Record: -1, Reason: "request body is empty; send {\"records\":[...]}"}
	}
	if body[0] != '{' {
		if !json.Valid(body) {
			return nil, &FieldError{Record: -1, Reason: "request body is not valid JSON"}
		}
		return nil, &FieldError{Record: -1, Reason: "request body must be a JSON object: {\"records\":[...]} or one record"}
	}
	top, err := readObject(body)
	if err != nil {
		return nil, &FieldError{Record: failingRecord(body), Reason: "request body is not valid JSON: " + err.Error()}
	}
	raws, ferr := splitRecords(top, body)
	if ferr != nil {
		return nil, ferr
	}
	records := make([]Record, len(raws))
	seen := make(map[string]int)
	for i, raw := range raws {
		r, err := decodeRecord(raw)
		if err == nil {
			err = r.Validate()
		}
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Record = i
				return nil, fe
			}
			return nil, &FieldError{Record: i, Reason: err.Error()}
		}
		if r.ID != "" {
			if j, dup := seen[r.ID]; dup {
				return nil, &FieldError{Record: i, Field: "id", Reason: fmt.Sprintf("repeats the id of records[%d]; ids name one operation each", j)}
			}
			seen[r.ID] = i
		}
		records[i] = r
	}
	return records, nil
}

// splitRecords returns the raw records of a request whose top-level object is top.
func splitRecords(top []member, body []byte) ([]json.RawMessage, *FieldError) {
	var list json.RawMessage
	isWrapper := false
	for _, m := range top {
		if m.key == "records" {
			isWrapper = true
		}
	}
	if !isWrapper {
		return []json.RawMessage{body}, nil
	}
	for _, m := range top {
		if m.key != "records" {
			return nil, &FieldError{Record: -1, Field: m.key, Reason: "unknown field; a request is {\"records\":[...]}"}
		}
		list = m.value
	}
	if len(list) == 0 || list[0] != '[' {
		return nil, &FieldError{Record: -1, Field: "records", Reason: "must be an array of records"}
	}
	dec := json.NewDecoder(bytes.NewReader(list))
	if _, err := dec.Token(); err != nil {
		return nil, &FieldError{Record: -1, Field: "records", Reason: "is not valid JSON: " + err.Error()}
	}
	var raws []json.RawMessage
	for i := 0; dec.More(); i++ {
		if i == MaxRecords {
			return nil, &FieldError{Record: -1, Field: "records", Reason: fmt.Sprintf("holds more than %d records; split the request", MaxRecords)}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, &FieldError{Record: i, Reason: "record is not valid JSON: " + err.Error()}
		}
		raws = append(raws, raw)
	}
	if len(raws) == 0 {
		return nil, &FieldError{Record: -1, Field: "records", Reason: "is empty; send at least one record"}
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

// member is one key and raw value of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

// readObject splits a JSON object into its members in document order, rejecting
// duplicate keys (JSON.parse would keep the last; a producer sending two is a bug).
func readObject(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string) // object keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[key] = true
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return out, nil
}

func decodeRecord(raw json.RawMessage) (Record, error) {
	var r Record
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return r, &FieldError{Reason: "record must be a JSON object"}
	}
	members, err := readObject(raw)
	if err != nil {
		return r, &FieldError{Reason: "record is not valid JSON: " + err.Error()}
	}
	for _, m := range members {
		if m.key == "type" {
			var t string
			if json.Unmarshal(m.value, &t) != nil {
				return r, &FieldError{Field: "type", Reason: "must be a string: managementApi, interaction or event"}
			}
			r.Type = RecordType(t)
		}
	}
	allowed, ok := recordFields[r.Type]
	if !ok {
		if r.Type == "" {
			return r, &FieldError{Field: "type", Reason: "is required: managementApi, interaction or event"}
		}
		return r, &FieldError{Field: "type", Reason: fmt.Sprintf("%q is not a record type: managementApi, interaction or event", r.Type)}
	}
	for _, m := range members {
		if !contains(allowed, m.key) {
			return r, &FieldError{Field: m.key, Reason: fmt.Sprintf("unknown field for %s records (allowed: %s)", r.Type, strings.Join(allowed, ", "))}
		}
		if isNull(m.value) || m.key == "type" {
			continue
		}
		if err := r.set(m.key, m.value); err != nil {
			return r, err
		}
	}
	return r, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// set decodes one member into r, naming the field and the expected type on error.
func (r *Record) set(key string, v json.RawMessage) error {
	str := func(dst *string) error {
		if json.Unmarshal(v, dst) != nil {
			return &FieldError{Field: key, Reason: "must be a string"}
		}
		return nil
	}
	obj := func(dst *json.RawMessage) error {
		if v[0] != '{' {
			return &FieldError{Field: key, Reason: "must be a JSON object"}
		}
		*dst = compact(v)
		return nil
	}
	anyJSON := func(dst *json.RawMessage) error {
		*dst = compact(v)
		return nil
	}
	strs := func(dst *[]string) error {
		if json.Unmarshal(v, dst) != nil {
			return &FieldError{Field: key, Reason: "must be an array of strings"}
		}
		return nil
	}
	switch key {
	case "id":
		return str(&r.ID)
	case "createdAt":
		t, err := parseCreatedAt(v)
		if err != nil {
			return &FieldError{Field: key, Reason: err.Error()}
		}
		r.CreatedAt = t
	case "ip":
		return str(&r.IP)
	case "userAgent":
		return str(&r.UserAgent)
	case "method":
		if err := str(&r.Method); err != nil {
			return err
		}
		r.Method = strings.ToUpper(r.Method)
	case "path":
		return str(&r.Path)
	case "status":
		s, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil {
			return &FieldError{Field: key, Reason: "must be an integer HTTP status"}
		}
		r.Status = s
	case "matchedRoute":
		return str(&r.MatchedRoute)
	case "params":
		if v[0] != '{' {
			return &FieldError{Field: key, Reason: "must be an object of strings"}
		}
		members, _ := readObject(v) // v is valid JSON: it came out of readObject
		for _, m := range members {
			var s string
			if json.Unmarshal(m.value, &s) != nil {
				return &FieldError{Field: key + "." + m.key, Reason: "must be a string"}
			}
		}
		r.Params = compact(v)
	case "requestBody":
		return anyJSON(&r.RequestBody)
	case "responseBody":
		return anyJSON(&r.ResponseBody)
	case "data":
		return anyJSON(&r.Data)
	case "scopes":
		if v[0] != '[' {
			return &FieldError{Field: key, Reason: "must be an array of scope objects"}
		}
		r.Scopes = compact(v)
	case "organizationId":
		return str(&r.OrganizationID)
	case "addedUserIds":
		return strs(&r.AddedUserIDs)
	case "removedUserIds":
		return strs(&r.RemovedUserIDs)
	case "addedApplicationIds":
		return strs(&r.AddedApplicationIDs)
	case "removedApplicationIds":
		return strs(&r.RemovedApplicationIDs)
	case "interactionEvent":
		var s string
		if err := str(&s); err != nil {
			return err
		}
		r.InteractionEvent = InteractionEvent(s)
	case "userId":
		return str(&r.UserID)
	case "sessionId":
		return str(&r.SessionID)
	case "user":
		return obj(&r.User)
	case "application":
		return obj(&r.Application)
	case "applicationId":
		return str(&r.ApplicationID)
	case "cimdClientId":
		return str(&r.CIMDClientID)
	case "linked":
		return strs(&r.Linked)
	case "adaptiveMfaResult":
		return obj(&r.AdaptiveMfaResult)
	case "event":
		var s string
		if err := str(&s); err != nil {
			return err
		}
		r.Event = Event(s)
	case "fields":
		return obj(&r.Fields)
	}
	return nil
}

func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}

// maxCreatedAtMs is 9999-12-31T23:59:59.999Z: JavaScript's toISOString switches
// to six-digit years after it, a format receivers rarely parse.
const maxCreatedAtMs = 253402300799999

// parseCreatedAt accepts an RFC 3339 string or epoch milliseconds.
func parseCreatedAt(v json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("must be an RFC 3339 time such as 2026-08-21T12:00:00.000Z or epoch milliseconds")
		}
		if t.Year() < 1970 || t.Year() > 9999 {
			return time.Time{}, errors.New("must be between 1970 and 9999")
		}
		return t.UTC(), nil
	}
	ms, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 string or an integer of epoch milliseconds")
	}
	if ms < 0 || ms > maxCreatedAtMs {
		return time.Time{}, errors.New("epoch milliseconds must be between 0 and 253402300799999")
	}
	return time.UnixMilli(ms).UTC(), nil
}

// FormatTime formats t the way JavaScript's Date.toISOString does, as Logto's
// createdAt fields are: UTC, milliseconds, "Z".
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// Validate checks the rules of docs/architecture.md §3 that do not depend on the route table:
// required fields per type, ranges and enumerations. Errors are *FieldError with
// Record -1; DecodeRequest sets the index.
func (r *Record) Validate() error {
	fe := func(field, reason string) error { return &FieldError{Record: -1, Field: field, Reason: reason} }
	if len(r.ID) > MaxRecordIDLen {
		return fe("id", fmt.Sprintf("is longer than %d characters", MaxRecordIDLen))
	}
	if !r.CreatedAt.IsZero() && (r.CreatedAt.Year() < 1970 || r.CreatedAt.Year() > 9999) {
		return fe("createdAt", "must be between 1970 and 9999")
	}
	switch r.Type {
	case RecordManagementAPI:
		return r.validateManagementAPI()
	case RecordInteraction:
		return r.validateInteraction()
	case RecordEvent:
		return r.validateEvent()
	case "":
		return fe("type", "is required: managementApi, interaction or event")
	default:
		return fe("type", fmt.Sprintf("%q is not a record type: managementApi, interaction or event", r.Type))
	}
}

func (r *Record) validateManagementAPI() error {
	fe := func(field, reason string) error { return &FieldError{Record: -1, Field: field, Reason: reason} }
	if r.Method == "" {
		return fe("method", "is required (the HTTP method, e.g. POST)")
	}
	for _, c := range r.Method {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return fe("method", fmt.Sprintf("%q is not an HTTP method", r.Method))
		}
	}
	if r.Path == "" {
		return fe("path", "is required (e.g. /api/users/u1)")
	}
	if !strings.HasPrefix(r.Path, "/") {
		return fe("path", "must start with /")
	}
	if r.MatchedRoute != "" && !strings.HasPrefix(r.MatchedRoute, "/") {
		return fe("matchedRoute", "must start with /")
	}
	if r.Status < 100 || r.Status > 599 {
		if r.Status == 0 {
			return fe("status", "is required (the HTTP status of the response)")
		}
		return fe("status", "must be an integer between 100 and 599")
	}
	if r.Scopes != nil && !bytes.HasPrefix(bytes.TrimSpace(r.Scopes), []byte("[")) {
		return fe("scopes", "must be an array of scope objects")
	}
	return nil
}

func (r *Record) validateInteraction() error {
	fe := func(field, reason string) error { return &FieldError{Record: -1, Field: field, Reason: reason} }
	switch r.InteractionEvent {
	case "", InteractionSignIn, InteractionRegister, InteractionForgotPassword:
	default:
		return fe("interactionEvent", fmt.Sprintf("%q is not SignIn, Register or ForgotPassword", r.InteractionEvent))
	}
	for i, l := range r.Linked {
		if !contains(LinkedKinds, l) {
			return fe(fmt.Sprintf("linked[%d]", i), fmt.Sprintf("%q is not one of %s", l, strings.Join(LinkedKinds, ", ")))
		}
	}
	if r.AdaptiveMfaResult != nil && r.InteractionEvent != InteractionSignIn {
		return fe("adaptiveMfaResult", "needs interactionEvent SignIn: adaptive MFA only runs at sign-in")
	}
	if r.InteractionEvent == "" && len(r.Linked) == 0 {
		return fe("interactionEvent", "is required unless linked names what an account change added")
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"user", r.User}, {"application", r.Application}, {"adaptiveMfaResult", r.AdaptiveMfaResult}} {
		if f.raw != nil && !bytes.HasPrefix(bytes.TrimSpace(f.raw), []byte("{")) {
			return fe(f.name, "must be a JSON object")
		}
	}
	userID := userObjectID(r.User)
	if r.UserID != "" && userID != "" && userID != r.UserID {
		return fe("userId", fmt.Sprintf("is %q but user.id is %q", r.UserID, userID))
	}
	if r.InteractionEvent != "" && r.UserID == "" && userID == "" {
		return fe("userId", "is required (or give user with its id)")
	}
	needsUser := r.InteractionEvent == InteractionRegister || r.InteractionEvent == InteractionForgotPassword || len(r.Linked) > 0
	if needsUser && r.AdaptiveMfaResult == nil && r.User == nil {
		return fe("user", "is required: it is the data of the User.Created or User.Data.Updated event this record produces")
	}
	return r.validateApplicationID()
}

func (r *Record) validateApplicationID() error {
	if r.CIMDClientID != "" && (r.ApplicationID != "" || r.Application != nil) {
		return &FieldError{Record: -1, Field: "cimdClientId", Reason: "excludes applicationId and application: a client is either a CIMD client or an application"}
	}
	if appID := objectString(r.Application, "id"); r.ApplicationID != "" && appID != "" && appID != r.ApplicationID {
		return &FieldError{Record: -1, Field: "applicationId", Reason: fmt.Sprintf("is %q but application.id is %q", r.ApplicationID, appID)}
	}
	if r.Application != nil && !bytes.HasPrefix(bytes.TrimSpace(r.Application), []byte("{")) {
		return &FieldError{Record: -1, Field: "application", Reason: "must be a JSON object"}
	}
	return nil
}

// reservedFieldKeys are payload keys that an event record's fields may never set:
// they are the envelope, written by the service.
var reservedFieldKeys = []string{"event", "createdAt", "hookId"}

func (r *Record) validateEvent() error {
	fe := func(field, reason string) error { return &FieldError{Record: -1, Field: field, Reason: reason} }
	if r.Event == "" {
		return fe("event", "is required (run `webhooks events list`)")
	}
	if _, err := ParseEvent(string(r.Event)); err != nil {
		return fe("event", err.Error())
	}
	if r.Event.Group() == GroupInteraction {
		return fe("event", fmt.Sprintf("%s is an interaction event: send an interaction record", r.Event))
	}
	switch r.InteractionEvent {
	case "", InteractionSignIn, InteractionRegister, InteractionForgotPassword:
	default:
		return fe("interactionEvent", fmt.Sprintf("%q is not SignIn, Register or ForgotPassword", r.InteractionEvent))
	}
	if r.Event == GrantLimitExceeded {
		// Logto's Grant.LimitExceeded has no interaction metadata; its
		// applicationId is an event field placed after userId.
		for name, v := range map[string]string{"interactionEvent": string(r.InteractionEvent), "sessionId": r.SessionID, "applicationId": r.ApplicationID, "cimdClientId": r.CIMDClientID} {
			if v != "" {
				return fe(name, "is not part of Grant.LimitExceeded metadata; put applicationId or cimdClientId in fields")
			}
		}
	}
	if err := r.validateApplicationID(); err != nil {
		return err
	}
	if r.Fields == nil {
		return nil
	}
	members, err := readObject(r.Fields)
	if err != nil {
		return fe("fields", "must be a JSON object: "+err.Error())
	}
	set := r.metadataKeys()
	for _, m := range members {
		if contains(reservedFieldKeys, m.key) {
			return fe("fields."+m.key, "is set by the service and cannot be overridden")
		}
		if contains(set, m.key) {
			return fe("fields."+m.key, "is already given as a record field")
		}
	}
	return nil
}

// metadataKeys returns the payload keys an event record's own fields produce.
func (r *Record) metadataKeys() []string {
	var keys []string
	add := func(k string, set bool) {
		if set {
			keys = append(keys, k)
		}
	}
	add("interactionEvent", r.InteractionEvent != "")
	add("userAgent", r.UserAgent != "" || r.Event == GrantLimitExceeded)
	add("applicationId", r.ApplicationID != "" || (objectString(r.Application, "id") != "" && r.CIMDClientID == "" && r.Event != GrantLimitExceeded))
	add("cimdClientId", r.CIMDClientID != "")
	add("sessionId", r.SessionID != "")
	add("ip", r.IP != "")
	add("application", r.Application != nil)
	return keys
}

// userObjectID returns user.id when user is an object with a string id.
func userObjectID(user json.RawMessage) string { return objectString(user, "id") }

func objectString(obj json.RawMessage, key string) string {
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
	return objectString(r.Application, "id")
}
