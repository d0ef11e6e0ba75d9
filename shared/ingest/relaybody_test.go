package ingest

import (
	"testing"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TestParseRelayBodyRestoresBody checks that every job form rebuilds the body
// byte for byte with the hook's id in hookId's place.
func TestParseRelayBodyRestoresBody(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"last", `{"event":"User.Created","createdAt":"2026-01-01T00:00:00.000Z","data":{"a":"<&>\u2028"},"hookId":"logto"}`,
			`{"event":"User.Created","createdAt":"2026-01-01T00:00:00.000Z","data":{"a":"<&>\u2028"},"hookId":"h-1"}`},
		{"second", `{"event":"PostSignIn","hookId":"logto","createdAt":"2026-01-01T00:00:00.000Z","userAgent":"fake-user-agent"}`,
			`{"event":"PostSignIn","hookId":"h-1","createdAt":"2026-01-01T00:00:00.000Z","userAgent":"fake-user-agent"}`},
		{"first", `{"hookId":"logto","event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z"}`,
			`{"hookId":"h-1","event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z"}`},
		{"absent", `{"event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z"}`,
			`{"event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z","hookId":"h-1"}`},
		{"spaced", "{ \"event\" : \"PostSignIn\",\n \"createdAt\":\"2026-01-01T00:00:00.000Z\", \"hookId\": \"x\" }",
			`{"event":"PostSignIn","createdAt":"2026-01-01T00:00:00.000Z","hookId":"h-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := parseRelayBody([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			msg := webhook.EventMessage{ID: "evt_1", Event: webhook.Event(b.event), Payload: b.payload, HookIDAt: b.hookIDAt}
			enc, err := webhook.EncodeJob(webhook.NewJob(msg, "h-1"))
			if err != nil {
				t.Fatal(err)
			}
			job, err := webhook.DecodeJob(enc)
			if err != nil {
				t.Fatal(err)
			}
			if err := job.Validate(); err != nil {
				t.Fatalf("job through the queue: %v", err)
			}
			if got := string(job.Body()); got != tt.want {
				t.Errorf("Body()\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
