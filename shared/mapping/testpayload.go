package mapping

import (
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestPayload returns Logto's test payload for e (generateHookTestPayload,
// docs/logto-webhooks.md §9.4), sent by POST /hooks/:id/test and `webhooks hooks test`.
//
// It carries no hookId: like every delivery, the job appends hookId last. Logto
// puts hookId second in test payloads only; we keep one rule for all bodies.
func TestPayload(e webhook.Event, now time.Time) []byte {
	ms := now.UnixMilli()
	o := &object{}
	o.strAlways("event", string(e))
	o.strAlways("createdAt", webhook.FormatTime(now))
	o.strAlways("userAgent", "fake-user-agent")
	if e.Group() == webhook.GroupInteraction {
		o.strAlways("sessionId", "fake-session-id")
		o.strAlways("userIp", "fake-user-ip")
		o.strAlways("userId", "fake-id")
		var user object
		user.strAlways("id", "fake-id")
		user.strAlways("username", "fake-user")
		user.strAlways("primaryEmail", "fake-user@fake-service.com")
		user.strAlways("primaryPhone", "1234567890")
		user.strAlways("name", "Fake User")
		user.strAlways("avatar", "https://fake-service.com/avatars/fake-user.png")
		user.raw("customData", []byte(`{"theme":"light"}`))
		user.raw("identities", []byte(`{"google":{"userId":"fake-google-user-id"}}`))
		user.raw("profile", []byte(`{}`))
		user.strAlways("applicationId", "fake-application-id")
		user.raw("cimdClientId", []byte(`null`))
		user.bool("isSuspended", false)
		user.int("lastSignInAt", ms)
		user.int("createdAt", ms)
		user.int("updatedAt", ms)
		o.raw("user", user.bytes())
		var app object
		app.strAlways("id", "fake-spa-application-id")
		app.strAlways("type", "SPA")
		app.strAlways("name", "Fake Application")
		app.strAlways("description", "Fake application data for testing")
		o.raw("application", app.bytes())
		return o.bytes()
	}
	o.strAlways("path", "/fake-path/:id")
	o.strAlways("method", "POST")
	o.int("status", 200)
	o.raw("params", []byte(`{"id":"fake-id"}`))
	o.raw("data", []byte(`{"result":"success"}`))
	return o.bytes()
}
