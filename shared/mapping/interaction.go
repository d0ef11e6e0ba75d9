package mapping

import (
	"strings"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// applicationFields are the application fields Logto puts in payloads.
var applicationFields = []string{"id", "type", "name", "description"}

// interactionEvents maps an interaction type to its interaction event.
var interactionEvents = map[webhook.InteractionEvent]webhook.Event{
	webhook.InteractionRegister:       webhook.PostRegister,
	webhook.InteractionSignIn:         webhook.PostSignIn,
	webhook.InteractionForgotPassword: webhook.PostResetPassword,
}

// interaction maps an end-user flow (docs/logto-webhooks.md §4): the interaction event
// and the data events the same flow fires.
func (b builder) interaction() []payload {
	r := b.r
	// Adaptive MFA fires its event release-anyway and then fails the sign-in
	// with 403, so nothing else of that request is released.
	if r.AdaptiveMfaResult != nil {
		return []payload{b.interactionPayload(webhook.PostSignInAdaptiveMfaTriggered)}
	}
	var out []payload
	if e, ok := interactionEvents[r.InteractionEvent]; ok {
		out = append(out, b.interactionPayload(e))
	}
	if r.InteractionEvent == webhook.InteractionRegister {
		out = append(out, b.flowDataPayload(webhook.UserCreated))
	}
	if r.InteractionEvent == webhook.InteractionForgotPassword || len(r.Linked) > 0 {
		out = append(out, b.flowDataPayload(webhook.UserDataUpdated))
	}
	return out
}

// interactionPayload writes an interaction event in triggerInteractionHooks'
// order (docs/logto-webhooks.md §5.1).
func (b builder) interactionPayload(e webhook.Event) payload {
	r := b.r
	o := &object{}
	if e == webhook.PostSignInAdaptiveMfaTriggered {
		o.raw("adaptiveMfaResult", r.AdaptiveMfaResult)
	}
	o.strAlways("event", string(e))
	o.strAlways("interactionEvent", string(r.InteractionEvent))
	o.strAlways("createdAt", b.createdAt)
	o.str("sessionId", r.SessionID)
	o.str("userAgent", r.UserAgent)
	o.strAlways("userId", r.EffectiveUserID())
	o.str("userIp", r.IP)
	o.raw("user", userData(r.User))
	o.raw("application", pick(r.Application, applicationFields...))
	o.str("cimdClientId", r.CIMDClientID)
	return payload{e, o.bytes()}
}

// flowMetadata writes the metadata of a data or exception event fired by an
// experience flow, in buildWebhooks' order (docs/logto-webhooks.md §5.2): the
// interaction metadata, ip, then the resolved application.
func (b builder) flowMetadata(o *object, withIP bool) {
	r := b.r
	o.str("interactionEvent", string(r.InteractionEvent))
	o.str("userAgent", r.UserAgent)
	if r.CIMDClientID != "" {
		o.str("cimdClientId", r.CIMDClientID)
	} else {
		o.str("applicationId", r.EffectiveApplicationID())
	}
	o.str("sessionId", r.SessionID)
	if withIP {
		o.str("ip", r.IP)
	}
	o.raw("application", pick(r.Application, applicationFields...))
}

// flowDataPayload writes a {user} data context of an interaction record: the
// user, reduced to UserFields, is its data.
func (b builder) flowDataPayload(e webhook.Event) payload {
	o := b.start(e)
	b.flowMetadata(o, true)
	o.raw("data", userData(b.r.User))
	return payload{e, o.bytes()}
}

// explicitEnvelope writes what an event record's payload has before its
// fields: the envelope and the metadata in Logto's order for the event
// (§5.2-§5.5).
func (b builder) explicitEnvelope() *object {
	r := b.r
	o := b.start(r.Event)
	if r.Event == webhook.GrantLimitExceeded {
		// The OIDC listener writes ip before userAgent, and userAgent is ""
		// when the request had none (docs/logto-webhooks.md §5.5).
		o.str("ip", r.IP)
		o.strAlways("userAgent", r.UserAgent)
		o.raw("application", pick(r.Application, applicationFields...))
	} else {
		b.flowMetadata(o, !strings.HasPrefix(string(r.Event), "TrustedDevice."))
	}
	return o
}

// explicit writes an event record: its envelope, then fields in the
// producer's order.
func (b builder) explicit() payload {
	r := b.r
	o := b.explicitEnvelope()
	for _, m := range objectMembers(r.Fields) {
		v := m.Value
		switch {
		case m.Key != "data":
		case strings.HasPrefix(string(r.Event), "User."):
			v = omit(v, sensitiveUserFields...)
		case strings.HasPrefix(string(r.Event), "TrustedDevice."):
			// A device row also holds its ip, user agent and secret hash;
			// Logto sends only these three, whichever record carries it.
			v = pick(v, trustedDeviceFields...)
		}
		o.raw(m.Key, v)
	}
	return payload{r.Event, o.bytes()}
}
