package webhook

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// RelayPathPrefix is the relay endpoint's path without the source id: each
// source is served at RelayPathPrefix + its id, on the dev server, the ingest
// API and in what the management API and the console show.
const RelayPathPrefix = "/logto/"

// RelayPath is where the relay serves s.
func (s Source) RelayPath() string { return RelayPathPrefix + s.ID }

// Source is a Logto tenant that sends its own webhooks to the relay endpoint
// POST /logto/{id} (docs/logto-relay.md): the relay accepts a body only if it
// carries Logto's logto-signature-sha-256 made with the source's key, and fans
// it out to the hooks subscribed to its event. The fields mirror the item of
// the DynamoDB sources table (docs/architecture.md §6).
type Source struct {
	ID   string `json:"id" dynamodbav:"id"`
	Name string `json:"name" dynamodbav:"name"`
	// SigningKey is the key Logto shows for the webhook that points at us; Logto
	// signs with it, the relay verifies with it. Empty until the user pastes it:
	// a source without a key accepts nothing.
	SigningKey string `json:"signingKey" dynamodbav:"signingKey"`
	// PreviousSigningKey is the key replaced by the last change of key. Until
	// PreviousKeyExpiresAt (epoch ms) bodies signed with it are accepted too,
	// so Logto can be switched to the new key without losing events.
	PreviousSigningKey   string `json:"previousSigningKey,omitempty" dynamodbav:"previousSigningKey,omitempty"`
	PreviousKeyExpiresAt int64  `json:"previousKeyExpiresAt,omitempty" dynamodbav:"previousKeyExpiresAt,omitempty"`
	// Enabled false makes the relay refuse the source's bodies (403).
	Enabled   bool  `json:"enabled" dynamodbav:"enabled"`
	CreatedAt int64 `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt int64 `json:"updatedAt,omitempty" dynamodbav:"updatedAt,omitempty"`
	// Version counts the writes of the source, as Hook.Version does; every
	// store write compares it (SourceStore.PutSource).
	Version int64 `json:"version" dynamodbav:"version"`
}

// VerifyKeys returns the keys a body may be signed with at now: the current
// key (when set) and, within its grace, the previous one.
func (s *Source) VerifyKeys(now time.Time) []string {
	var keys []string
	if s.SigningKey != "" {
		keys = append(keys, s.SigningKey)
	}
	if s.PreviousSigningKey != "" && now.UnixMilli() < s.PreviousKeyExpiresAt {
		keys = append(keys, s.PreviousSigningKey)
	}
	return keys
}

// Limits on source fields. A signing key longer than MaxSourceKeyLen is no
// key Logto makes (its keys are 32 characters); the cap keeps an item small.
const (
	MaxSourceNameLen = 256
	MaxSourceKeyLen  = 512
)

// Validate checks the fields a user sets.
func (s *Source) Validate() error {
	if n := utf8.RuneCountInString(s.Name); n < 1 || n > MaxSourceNameLen {
		return &FieldError{Record: -1, Field: "name", Reason: fmt.Sprintf("must be 1 to %d characters", MaxSourceNameLen)}
	}
	for _, k := range []struct{ field, key string }{{"signingKey", s.SigningKey}, {"previousSigningKey", s.PreviousSigningKey}} {
		if len(k.key) > MaxSourceKeyLen {
			return &FieldError{Record: -1, Field: k.field, Reason: fmt.Sprintf("is longer than %d bytes", MaxSourceKeyLen)}
		}
		for _, c := range k.key {
			if c < 0x21 || c > 0x7e {
				return &FieldError{Record: -1, Field: k.field, Reason: "must be printable ASCII without spaces (paste the key exactly as Logto shows it)"}
			}
		}
	}
	return nil
}

// NewSourceID returns a 21-character id of [0-9a-z], the shape of a hook id;
// it appears in the relay URL.
func NewSourceID() string { return NewHookID() }

// RelayEventID returns the event id of a body relayed from source sourceID,
// given as payload, the body without its hookId's value (the job's payload):
// Logto sends a retry with the same bytes, so the retry gets the same event id
// and, per hook, the same webhook-id (DeliveryID).
func RelayEventID(sourceID string, payload []byte) string {
	return hashID("evt_", "logto-relay", sourceID, string(payload))
}
