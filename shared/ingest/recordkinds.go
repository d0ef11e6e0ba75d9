package ingest

import (
	"fmt"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// recordKind is everything one kind of ingest record is: the fields it may
// carry (in documentation order), the rules its values must follow, and how
// mapping turns it into events. Adding a kind is adding an entry to
// recordKinds (and its Kind to mapping).
type recordKind struct {
	fields []recordField
	// validate checks the decoded record's values beyond their JSON types.
	validate func(r *webhook.Record) error
	mapping  mapping.Kind
}

// commonFields are the fields every record may carry.
var commonFields = []recordField{
	{name: "type"}, // read before the kind is known
	stringField("id", func(r *webhook.Record) *string { return &r.ID }),
	{name: "createdAt", set: setCreatedAt},
	stringField("ip", func(r *webhook.Record) *string { return &r.IP }),
	stringField("userAgent", func(r *webhook.Record) *string { return &r.UserAgent }),
}

// Fields that more than one kind carries.
var (
	interactionEventField = stringField("interactionEvent", func(r *webhook.Record) *webhook.InteractionEvent { return &r.InteractionEvent })
	sessionIDField        = stringField("sessionId", func(r *webhook.Record) *string { return &r.SessionID })
	applicationField      = objectField("application", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.Application) })
	applicationIDField    = stringField("applicationId", func(r *webhook.Record) *string { return &r.ApplicationID })
	cimdClientIDField     = stringField("cimdClientId", func(r *webhook.Record) *string { return &r.CIMDClientID })
)

// recordKinds is the table of record kinds (docs/architecture.md §3.1).
var recordKinds = map[webhook.RecordType]recordKind{
	webhook.RecordManagementAPI: {
		fields: append(commonFields[:len(commonFields):len(commonFields)],
			recordField{name: "method", set: setMethod},
			stringField("path", func(r *webhook.Record) *string { return &r.Path }),
			recordField{name: "status", set: setStatus},
			stringField("matchedRoute", func(r *webhook.Record) *string { return &r.MatchedRoute }),
			recordField{name: "params", set: setParams},
			rawField("requestBody", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.RequestBody) }),
			rawField("responseBody", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.ResponseBody) }),
			rawField("data", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.Data) }),
			arrayField("scopes", "must be an array of scope objects", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.Scopes) }),
			stringField("organizationId", func(r *webhook.Record) *string { return &r.OrganizationID }),
			stringsField("addedUserIds", func(r *webhook.Record) *[]string { return &r.AddedUserIDs }),
			stringsField("removedUserIds", func(r *webhook.Record) *[]string { return &r.RemovedUserIDs }),
			stringsField("addedApplicationIds", func(r *webhook.Record) *[]string { return &r.AddedApplicationIDs }),
			stringsField("removedApplicationIds", func(r *webhook.Record) *[]string { return &r.RemovedApplicationIDs }),
		),
		validate: validateManagementAPI,
		mapping:  mapping.ManagementAPI,
	},
	webhook.RecordInteraction: {
		fields: append(commonFields[:len(commonFields):len(commonFields)],
			interactionEventField,
			stringField("userId", func(r *webhook.Record) *string { return &r.UserID }),
			sessionIDField,
			objectField("user", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.User) }),
			applicationField,
			applicationIDField,
			cimdClientIDField,
			stringsField("linked", func(r *webhook.Record) *[]string { return &r.Linked }),
			objectField("adaptiveMfaResult", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.AdaptiveMfaResult) }),
		),
		validate: validateInteraction,
		mapping:  mapping.Interaction,
	},
	webhook.RecordEvent: {
		fields: append(commonFields[:len(commonFields):len(commonFields)],
			stringField("event", func(r *webhook.Record) *webhook.Event { return &r.Event }),
			objectField("fields", func(r *webhook.Record) *[]byte { return (*[]byte)(&r.Fields) }),
			interactionEventField,
			applicationIDField,
			cimdClientIDField,
			sessionIDField,
			applicationField,
		),
		validate: validateEvent,
		mapping:  mapping.Explicit,
	},
}

// recordKindOrder is the order kinds are named in messages.
var recordKindOrder = []webhook.RecordType{webhook.RecordManagementAPI, webhook.RecordInteraction, webhook.RecordEvent}

// kindNames lists the record types for messages: "managementApi, interaction or event".
func kindNames() string {
	names := make([]string, len(recordKindOrder))
	for i, t := range recordKindOrder {
		names[i] = string(t)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// kindOf returns the kind of records of type t, or the error naming the
// field "type".
func kindOf(t webhook.RecordType) (recordKind, error) {
	k, ok := recordKinds[t]
	switch {
	case ok:
		return k, nil
	case t == "":
		return k, fieldError("type", "is required: "+kindNames())
	default:
		return k, fieldError("type", fmt.Sprintf("%q is not a record type: %s", t, kindNames()))
	}
}

func (k recordKind) field(name string) (recordField, bool) {
	for _, f := range k.fields {
		if f.name == name {
			return f, true
		}
	}
	return recordField{}, false
}

func (k recordKind) fieldNames() string {
	names := make([]string, len(k.fields))
	for i, f := range k.fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// check runs the rules every record follows, then the kind's own.
func (k recordKind) check(r *webhook.Record) error {
	if len(r.ID) > webhook.MaxRecordIDLen {
		return fieldError("id", fmt.Sprintf("is longer than %d characters", webhook.MaxRecordIDLen))
	}
	if !r.CreatedAt.IsZero() && (r.CreatedAt.Year() < 1970 || r.CreatedAt.Year() > 9999) {
		return fieldError("createdAt", "must be between 1970 and 9999")
	}
	return k.validate(r)
}

// ValidateRecord checks a record built in code (not decoded) by the rules of
// its kind, as DecodeRequest checks decoded ones. Errors are
// *webhook.FieldError with Record -1.
func ValidateRecord(r *webhook.Record) error {
	k, err := kindOf(r.Type)
	if err != nil {
		return err
	}
	return k.check(r)
}
