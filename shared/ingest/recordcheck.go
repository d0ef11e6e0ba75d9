package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
	"github.com/logto-webhooks/webhooks/shared/mapping"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// The validation of each record kind (docs/architecture.md §3.1): what the
// route table is not needed for. Errors are *webhook.FieldError with Record -1.

func validateManagementAPI(r *webhook.Record) error {
	if r.Method == "" {
		return fieldError("method", "is required (the HTTP method, e.g. POST)")
	}
	for _, c := range r.Method {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return fieldError("method", fmt.Sprintf("%q is not an HTTP method", r.Method))
		}
	}
	if r.Path == "" {
		return fieldError("path", "is required (e.g. /api/users/u1)")
	}
	if !strings.HasPrefix(r.Path, "/") {
		return fieldError("path", "must start with /")
	}
	if r.MatchedRoute != "" && !strings.HasPrefix(r.MatchedRoute, "/") {
		return fieldError("matchedRoute", "must start with /")
	}
	if r.Status < 100 || r.Status > 599 {
		if r.Status == 0 {
			return fieldError("status", "is required (the HTTP status of the response)")
		}
		return fieldError("status", "must be an integer between 100 and 599")
	}
	if r.Scopes != nil && !bytes.HasPrefix(bytes.TrimSpace(r.Scopes), []byte("[")) {
		return fieldError("scopes", "must be an array of scope objects")
	}
	return nil
}

func validateInteractionEvent(r *webhook.Record) error {
	switch r.InteractionEvent {
	case "", webhook.InteractionSignIn, webhook.InteractionRegister, webhook.InteractionForgotPassword:
		return nil
	}
	return fieldError("interactionEvent", fmt.Sprintf("%q is not SignIn, Register or ForgotPassword", r.InteractionEvent))
}

func validateInteraction(r *webhook.Record) error {
	if err := validateInteractionEvent(r); err != nil {
		return err
	}
	for i, l := range r.Linked {
		if !slices.Contains(webhook.LinkedKinds, l) {
			return fieldError(fmt.Sprintf("linked[%d]", i), fmt.Sprintf("%q is not one of %s", l, strings.Join(webhook.LinkedKinds, ", ")))
		}
	}
	if r.AdaptiveMfaResult != nil && r.InteractionEvent != webhook.InteractionSignIn {
		return fieldError("adaptiveMfaResult", "needs interactionEvent SignIn: adaptive MFA only runs at sign-in")
	}
	if r.InteractionEvent == "" && len(r.Linked) == 0 {
		return fieldError("interactionEvent", "is required unless linked names what an account change added")
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"user", r.User}, {"application", r.Application}, {"adaptiveMfaResult", r.AdaptiveMfaResult}} {
		if f.raw != nil && !bytes.HasPrefix(bytes.TrimSpace(f.raw), []byte("{")) {
			return fieldError(f.name, "must be a JSON object")
		}
	}
	userID := jsonobject.String(r.User, "id")
	if r.UserID != "" && userID != "" && userID != r.UserID {
		return fieldError("userId", fmt.Sprintf("is %q but user.id is %q", r.UserID, userID))
	}
	if r.InteractionEvent != "" && r.UserID == "" && userID == "" {
		return fieldError("userId", "is required (or give user with its id)")
	}
	needsUser := r.InteractionEvent == webhook.InteractionRegister || r.InteractionEvent == webhook.InteractionForgotPassword || len(r.Linked) > 0
	if needsUser && r.AdaptiveMfaResult == nil && r.User == nil {
		return fieldError("user", "is required: it is the data of the User.Created or User.Data.Updated event this record produces")
	}
	return validateApplicationID(r)
}

func validateApplicationID(r *webhook.Record) error {
	if r.CIMDClientID != "" && (r.ApplicationID != "" || r.Application != nil) {
		return fieldError("cimdClientId", "excludes applicationId and application: a client is either a CIMD client or an application")
	}
	if appID := jsonobject.String(r.Application, "id"); r.ApplicationID != "" && appID != "" && appID != r.ApplicationID {
		return fieldError("applicationId", fmt.Sprintf("is %q but application.id is %q", r.ApplicationID, appID))
	}
	if r.Application != nil && !bytes.HasPrefix(bytes.TrimSpace(r.Application), []byte("{")) {
		return fieldError("application", "must be a JSON object")
	}
	return nil
}

func validateEvent(r *webhook.Record) error {
	if r.Event == "" {
		return fieldError("event", "is required (run `webhooks events list`)")
	}
	if _, err := webhook.ParseEvent(string(r.Event)); err != nil {
		return fieldError("event", err.Error())
	}
	if r.Event.Group() == webhook.GroupInteraction {
		return fieldError("event", fmt.Sprintf("%s is an interaction event: send an interaction record", r.Event))
	}
	if err := validateInteractionEvent(r); err != nil {
		return err
	}
	if r.Event == webhook.GrantLimitExceeded {
		// Logto's Grant.LimitExceeded has no interaction metadata; its
		// applicationId is an event field placed after userId.
		for _, f := range []struct{ name, value string }{
			{"interactionEvent", string(r.InteractionEvent)}, {"sessionId", r.SessionID},
			{"applicationId", r.ApplicationID}, {"cimdClientId", r.CIMDClientID},
		} {
			if f.value != "" {
				return fieldError(f.name, "is not part of Grant.LimitExceeded metadata; put applicationId or cimdClientId in fields")
			}
		}
	}
	if err := validateApplicationID(r); err != nil {
		return err
	}
	return mapping.CheckFields(r)
}
