package mapping

import (
	"slices"

	"github.com/logto-webhooks/webhooks/shared/internal/jsonobject"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// ReservedKeys are the payload keys an event record's fields may never set:
// the envelope, which the service writes (hookId at delivery).
var ReservedKeys = []string{"event", "createdAt", "hookId"}

// CheckFields checks that the fields of event record r set no key the
// payload already has: a reserved key, or one of the metadata keys r's own
// fields produce. The metadata keys are those the payload builder writes for
// r, so the check and the payload cannot disagree. Errors are
// *webhook.FieldError on "fields" or "fields.<key>", with Record -1.
func CheckFields(r *webhook.Record) error {
	if r.Fields == nil {
		return nil
	}
	members, err := jsonobject.Members(r.Fields, jsonobject.Reject)
	if err != nil {
		return fieldError("fields", "must be a JSON object: "+err.Error())
	}
	written := builder{r: r}.explicitEnvelope().keys
	for _, m := range members {
		if slices.Contains(ReservedKeys, m.Key) {
			return fieldError("fields."+m.Key, "is set by the service and cannot be overridden")
		}
		if slices.Contains(written, m.Key) {
			return fieldError("fields."+m.Key, "is already given as a record field")
		}
	}
	return nil
}
