package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logto-webhooks/webhooks/shared/ingest"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

func TestDecodeRequestForms(t *testing.T) {
	bare := `{"type":"managementApi","method":"post","path":"/api/users","status":200,"responseBody":{ "z":1, "a":[1, 2] }}`
	wrapped := `{"records":[` + bare + `]}`
	for name, body := range map[string]string{"bare": bare, "wrapped": wrapped, "whitespace": "\n " + wrapped + "\n"} {
		t.Run(name, func(t *testing.T) {
			records, err := ingest.DecodeRequest([]byte(body))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if len(records) != 1 {
				t.Fatalf("got %d records, want 1", len(records))
			}
			r := records[0]
			if r.Type != webhook.RecordManagementAPI || r.Method != "POST" || r.Path != "/api/users" || r.Status != 200 {
				t.Errorf("record = %+v, want managementApi POST /api/users 200", r)
			}
			if got, want := string(r.ResponseBody), `{"z":1,"a":[1,2]}`; got != want {
				t.Errorf("responseBody = %s, want %s (compact, producer key order)", got, want)
			}
		})
	}
}

func TestDecodeRequestFields(t *testing.T) {
	body := `{"records":[
		{"type":"interaction","id":"a","interactionEvent":"SignIn","userId":"u1","sessionId":"s","ip":"1.2.3.4","userAgent":"ua","createdAt":1755777600123,
		 "user":{"id":"u1"},"application":{"id":"app"},"linked":["mfa"],"adaptiveMfaResult":{"requiresMfa":true},"cimdClientId":null},
		{"type":"event","id":"b","event":"Identifier.Lockout","fields":{"type":"email","value":"x"},"createdAt":"2026-08-21T14:00:00.5+02:00"},
		{"type":"managementApi","id":"c","method":"PUT","path":"/organizations/o/users","status":204,"params":{"id":"o"},"matchedRoute":"/organizations/:id/users",
		 "organizationId":"o","addedUserIds":["u1"],"removedUserIds":["u2"],"addedApplicationIds":["a1"],"removedApplicationIds":["a2"],"requestBody":null,"scopes":[]}
	]}`
	records, err := ingest.DecodeRequest([]byte(body))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	ix, ev, mg := records[0], records[1], records[2]
	if ix.InteractionEvent != webhook.InteractionSignIn || ix.UserID != "u1" || ix.SessionID != "s" || ix.IP != "1.2.3.4" || ix.UserAgent != "ua" ||
		string(ix.User) != `{"id":"u1"}` || ix.EffectiveApplicationID() != "app" || fmt.Sprint(ix.Linked) != "[mfa]" || ix.AdaptiveMfaResult == nil || ix.CIMDClientID != "" {
		t.Errorf("interaction record decoded as %+v", ix)
	}
	if got := webhook.FormatTime(ix.CreatedAt); got != "2025-08-21T12:00:00.123Z" {
		t.Errorf("epoch-ms createdAt = %s, want 2025-08-21T12:00:00.123Z", got)
	}
	if got := webhook.FormatTime(ev.CreatedAt); got != "2026-08-21T12:00:00.500Z" {
		t.Errorf("RFC 3339 createdAt = %s, want 2026-08-21T12:00:00.500Z", got)
	}
	if ev.Event != webhook.IdentifierLockout || string(ev.Fields) != `{"type":"email","value":"x"}` {
		t.Errorf("event record decoded as %+v", ev)
	}
	if mg.OrganizationID != "o" || string(mg.Params) != `{"id":"o"}` || mg.MatchedRoute != "/organizations/:id/users" ||
		fmt.Sprint(mg.AddedUserIDs, mg.RemovedUserIDs, mg.AddedApplicationIDs, mg.RemovedApplicationIDs) != "[u1] [u2] [a1] [a2]" ||
		mg.RequestBody != nil || string(mg.Scopes) != "[]" {
		t.Errorf("managementApi record decoded as %+v", mg)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	mgmt := `"type":"managementApi","method":"POST","path":"/users","status":200`
	ok := `{` + mgmt + `}`
	tests := []struct {
		name   string
		body   string
		record int
		field  string
		reason string
	}{
		{"empty", ``, -1, "", "empty"},
		{"not_json", `{"records":`, -1, "", "not valid JSON"},
		{"array_body", `[1]`, -1, "", "must be a JSON object"},
		{"garbage", `nope`, -1, "", "not valid JSON"},
		{"trailing_data", `{"records":[` + ok + `]} {}`, -1, "", "not valid JSON"},
		{"records_not_array", `{"records":{}}`, -1, "records", "must be an array"},
		{"records_empty", `{"records":[]}`, -1, "records", "empty"},
		{"wrapper_unknown_key", `{"records":[` + ok + `],"extra":1}`, -1, "extra", "unknown field"},
		{"bad_json_in_record", `{"records":[` + ok + `,` + ok + `,{"type":"event",]}`, 2, "", "not valid JSON"},
		{"record_not_object", `{"records":[` + ok + `,"x"]}`, 1, "", "must be a JSON object"},
		{"duplicate_key", `{"records":[{` + mgmt + `,"status":201}]}`, 0, "", "appears twice"},
		{"type_missing", `{"records":[{"method":"POST"}]}`, 0, "type", "is required"},
		{"type_unknown", `{"records":[{"type":"webhook"}]}`, 0, "type", "not a record type"},
		{"type_not_string", `{"type":7}`, 0, "type", "must be a string"},
		{"unknown_field", `{"records":[` + ok + `,{` + mgmt + `,"respnseBody":{}}]}`, 1, "respnseBody", "unknown field for managementApi records"},
		{"field_of_other_type", `{"type":"event","event":"Identifier.Lockout","method":"POST"}`, 0, "method", "unknown field for event records"},
		{"method_missing", `{"type":"managementApi","path":"/users","status":200}`, 0, "method", "is required"},
		{"method_bad", `{"type":"managementApi","method":"PO ST","path":"/users","status":200}`, 0, "method", "not an HTTP method"},
		{"path_missing", `{"type":"managementApi","method":"POST","status":200}`, 0, "path", "is required"},
		{"path_relative", `{"type":"managementApi","method":"POST","path":"users","status":200}`, 0, "path", "must start with /"},
		{"path_number", `{"type":"managementApi","method":"POST","path":1,"status":200}`, 0, "path", "must be a string"},
		{"status_missing", `{"type":"managementApi","method":"POST","path":"/users"}`, 0, "status", "is required"},
		{"status_string", `{"type":"managementApi","method":"POST","path":"/users","status":"200"}`, 0, "status", "integer"},
		{"status_float", `{"type":"managementApi","method":"POST","path":"/users","status":200.5}`, 0, "status", "integer"},
		{"status_range", `{"type":"managementApi","method":"POST","path":"/users","status":600}`, 0, "status", "between 100 and 599"},
		{"params_not_strings", `{` + mgmt + `,"params":{"id":1}}`, 0, "params.id", "must be a string"},
		{"params_array", `{` + mgmt + `,"params":[]}`, 0, "params", "object of strings"},
		{"scopes_object", `{` + mgmt + `,"scopes":{}}`, 0, "scopes", "array"},
		{"delta_not_strings", `{` + mgmt + `,"addedUserIds":[1]}`, 0, "addedUserIds", "array of strings"},
		{"id_too_long", `{` + mgmt + `,"id":"` + strings.Repeat("x", 257) + `"}`, 0, "id", "longer than 256"},
		{"id_repeated", `{"records":[{` + mgmt + `,"id":"a"},{` + mgmt + `,"id":"b"},{` + mgmt + `,"id":"a"}]}`, 2, "id", "records[0]"},
		{"created_at_bad_string", `{` + mgmt + `,"createdAt":"yesterday"}`, 0, "createdAt", "RFC 3339"},
		{"created_at_negative", `{` + mgmt + `,"createdAt":-1}`, 0, "createdAt", "between"},
		{"created_at_float", `{` + mgmt + `,"createdAt":1.5}`, 0, "createdAt", "integer"},
		{"created_at_bool", `{` + mgmt + `,"createdAt":true}`, 0, "createdAt", "RFC 3339"},
		{"interaction_event_unknown", `{"type":"interaction","interactionEvent":"Login","userId":"u"}`, 0, "interactionEvent", "not SignIn"},
		{"interaction_nothing", `{"type":"interaction","userId":"u"}`, 0, "interactionEvent", "is required unless linked"},
		{"interaction_user_id_missing", `{"type":"interaction","interactionEvent":"SignIn"}`, 0, "userId", "is required"},
		{"interaction_user_id_mismatch", `{"type":"interaction","interactionEvent":"SignIn","userId":"a","user":{"id":"b"}}`, 0, "userId", "user.id"},
		{"interaction_register_without_user", `{"type":"interaction","interactionEvent":"Register","userId":"u"}`, 0, "user", "is required"},
		{"interaction_linked_without_user", `{"type":"interaction","linked":["email"],"userId":"u"}`, 0, "user", "is required"},
		{"interaction_linked_unknown", `{"type":"interaction","interactionEvent":"SignIn","userId":"u","linked":["email","avatar"]}`, 0, "linked[1]", "not one of"},
		{"interaction_user_array", `{"type":"interaction","interactionEvent":"SignIn","userId":"u","user":[]}`, 0, "user", "JSON object"},
		{"interaction_adaptive_register", `{"type":"interaction","interactionEvent":"Register","userId":"u","user":{},"adaptiveMfaResult":{}}`, 0, "adaptiveMfaResult", "SignIn"},
		{"interaction_app_mismatch", `{"type":"interaction","interactionEvent":"SignIn","userId":"u","applicationId":"a","application":{"id":"b"}}`, 0, "applicationId", "application.id"},
		{"interaction_cimd_and_app", `{"type":"interaction","interactionEvent":"SignIn","userId":"u","applicationId":"a","cimdClientId":"https://c"}`, 0, "cimdClientId", "excludes"},
		{"event_missing", `{"type":"event","fields":{}}`, 0, "event", "is required"},
		{"event_unknown", `{"type":"event","event":"Identifier.Lockot"}`, 0, "event", `did you mean "Identifier.Lockout"`},
		{"event_interaction_group", `{"type":"event","event":"PostSignIn"}`, 0, "event", "send an interaction record"},
		{"event_fields_array", `{"type":"event","event":"Identifier.Lockout","fields":[]}`, 0, "fields", "JSON object"},
		{"event_fields_reserved", `{"type":"event","event":"Identifier.Lockout","fields":{"type":"email","hookId":"h"}}`, 0, "fields.hookId", "cannot be overridden"},
		{"event_fields_created_at", `{"type":"event","event":"Identifier.Lockout","fields":{"createdAt":1}}`, 0, "fields.createdAt", "cannot be overridden"},
		{"event_fields_event", `{"type":"event","event":"Identifier.Lockout","fields":{"event":"x"}}`, 0, "fields.event", "cannot be overridden"},
		{"event_fields_duplicate_ip", `{"type":"event","event":"Identifier.Lockout","ip":"1.2.3.4","fields":{"ip":"5.6.7.8"}}`, 0, "fields.ip", "already given"},
		{"event_fields_duplicate_key", `{"type":"event","event":"Identifier.Lockout","fields":{"a":1,"a":2}}`, 0, "fields", "appears twice"},
		{"grant_user_agent_in_fields", `{"type":"event","event":"Grant.LimitExceeded","fields":{"userAgent":"x"}}`, 0, "fields.userAgent", "already given"},
		{"grant_session", `{"type":"event","event":"Grant.LimitExceeded","sessionId":"s"}`, 0, "sessionId", "Grant.LimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records, err := ingest.DecodeRequest([]byte(tt.body))
			var fe *webhook.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("DecodeRequest = %v, %v; want a *FieldError", records, err)
			}
			if fe.Record != tt.record || fe.Field != tt.field || !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("error = {Record:%d Field:%q Reason:%q}, want {Record:%d Field:%q Reason containing %q}", fe.Record, fe.Field, fe.Reason, tt.record, tt.field, tt.reason)
			}
		})
	}
}

func TestDecodeRequestLimits(t *testing.T) {
	rec := `{"type":"event","event":"Identifier.Lockout"}`
	body := func(n int) []byte {
		return []byte(`{"records":[` + strings.TrimSuffix(strings.Repeat(rec+",", n), ",") + `]}`)
	}
	if records, err := ingest.DecodeRequest(body(webhook.MaxRecords)); err != nil || len(records) != webhook.MaxRecords {
		t.Errorf("%d records: got %d, %v; want all accepted", webhook.MaxRecords, len(records), err)
	}
	var fe *webhook.FieldError
	if _, err := ingest.DecodeRequest(body(webhook.MaxRecords + 1)); !errors.As(err, &fe) || fe.Record != -1 || fe.Field != "records" {
		t.Errorf("%d records: err = %v, want a FieldError on records", webhook.MaxRecords+1, err)
	}
	big := []byte(`{"type":"event","event":"Identifier.Lockout","fields":{"pad":"` + strings.Repeat("x", webhook.MaxRequestBytes) + `"}}`)
	if _, err := ingest.DecodeRequest(big); !errors.As(err, &fe) || fe.Record != -1 || !strings.Contains(fe.Reason, "larger than") {
		t.Errorf("oversized body: err = %v, want a FieldError about the size", err)
	}
}

func TestFormatTime(t *testing.T) {
	in := time.Date(2026, 8, 21, 14, 0, 0, 123999999, time.FixedZone("CEST", 2*3600))
	if got, want := webhook.FormatTime(in), "2026-08-21T12:00:00.123Z"; got != want {
		t.Errorf("FormatTime = %s, want %s", got, want)
	}
}

func TestRecordValidateDirect(t *testing.T) {
	r := webhook.Record{Type: webhook.RecordEvent, Event: webhook.IdentifierLockout, CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	var fe *webhook.FieldError
	if err := ingest.ValidateRecord(&r); !errors.As(err, &fe) || fe.Field != "createdAt" {
		t.Errorf("Validate = %v, want a FieldError on createdAt", err)
	}
	if err := ingest.ValidateRecord(&webhook.Record{}); !errors.As(err, &fe) || fe.Field != "type" {
		t.Errorf("Validate of zero record = %v, want a FieldError on type", err)
	}
}

// FuzzDecodeRequest checks that no input panics and that the decoder's promises
// hold: accepted requests hold 1..MaxRecords valid records, rejections are
// FieldErrors pointing at a record that exists (or -1).
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		`{"records":[{"type":"managementApi","method":"POST","path":"/api/users","status":200,"responseBody":{"id":"u1"}}]}`,
		`{"type":"interaction","interactionEvent":"Register","userId":"u1","user":{"id":"u1"},"linked":["mfa"]}`,
		`{"type":"event","event":"Grant.LimitExceeded","createdAt":1755777600000,"fields":{"userId":"u1"}}`,
		`{"records":[{"type":"event","event":"Identifier.Lockout","createdAt":"2026-08-21T12:00:00Z","id":"x"},{"type":"event","event":"Identifier.Lockout","id":"x"}]}`,
		`{"records":[{"type":"event",]}`, `{"records":{}}`, `[]`, `null`, ``, `{"records":[]}`, `{"a":1,"a":2}`,
		`{"type":"managementApi","method":"PUT","path":"/organizations/o/users","status":204,"params":{"id":"o"},"addedUserIds":["u"]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		records, err := ingest.DecodeRequest(body)
		if err != nil {
			var fe *webhook.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if fe.Record < -1 || fe.Record >= webhook.MaxRecords || fe.Reason == "" {
				t.Fatalf("FieldError %+v out of range", fe)
			}
			return
		}
		if len(records) == 0 || len(records) > webhook.MaxRecords {
			t.Fatalf("accepted %d records", len(records))
		}
		for i := range records {
			if err := ingest.ValidateRecord(&records[i]); err != nil {
				t.Fatalf("accepted records[%d] fails Validate: %v", i, err)
			}
			if c := records[i].CreatedAt; !c.IsZero() && !bytes.HasSuffix([]byte(webhook.FormatTime(c)), []byte("Z")) {
				t.Fatalf("createdAt %v does not format as UTC", c)
			}
		}
	})
}

func TestValidateRecordBuiltInCode(t *testing.T) {
	err := ingest.ValidateRecord(&webhook.Record{Type: webhook.RecordManagementAPI, Path: "/users"})
	var fe *webhook.FieldError
	if !errors.As(err, &fe) || fe.Field != "method" {
		t.Errorf("err = %v, want a FieldError on method", err)
	}
}
