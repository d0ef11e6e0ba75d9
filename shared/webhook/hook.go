package webhook

import (
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Hook is one subscription: an endpoint URL and the events it receives. Its fields
// mirror the DynamoDB hooks item of docs/architecture.md §6, which users may write by hand, so
// every field but ID, URL, Events and SigningKey is optional there.
type Hook struct {
	ID     string  `json:"id" dynamodbav:"id"`
	Name   string  `json:"name" dynamodbav:"name"`
	Events []Event `json:"events" dynamodbav:"events"`
	// LegacyEvent is Logto's deprecated single event when Events was derived
	// from it (a hook created with only `event`), so that changing `event`
	// later changes what the hook receives, as in Logto. Empty otherwise.
	LegacyEvent Event             `json:"legacyEvent,omitempty" dynamodbav:"legacyEvent,omitempty"`
	URL         string            `json:"url" dynamodbav:"url"`
	Headers     map[string]string `json:"headers,omitempty" dynamodbav:"headers,omitempty"`
	// SigningKey signs Logto's logto-signature-sha-256 (its UTF-8 bytes are the HMAC
	// key) and the Standard Webhooks signature (secret whsec_ + base64(SigningKey)).
	SigningKey string `json:"signingKey" dynamodbav:"signingKey"`
	// PreviousSigningKey is the key replaced by the last rotation. Until
	// PreviousKeyExpiresAt (epoch ms) deliveries carry signatures by both keys, so
	// receivers can switch keys without dropping deliveries.
	PreviousSigningKey   string `json:"previousSigningKey,omitempty" dynamodbav:"previousSigningKey,omitempty"`
	PreviousKeyExpiresAt int64  `json:"previousKeyExpiresAt,omitempty" dynamodbav:"previousKeyExpiresAt,omitempty"`
	Enabled              bool   `json:"enabled" dynamodbav:"enabled"`
	// Retries caps the number of retries after the first attempt (nil: the full
	// schedule). TimeoutMs overrides the delivery timeout (0: the default).
	Retries   *int  `json:"retries,omitempty" dynamodbav:"retries,omitempty"`
	TimeoutMs int64 `json:"timeoutMs,omitempty" dynamodbav:"timeoutMs,omitempty"`
	// DisabledReason says why the service disabled the hook (410 Gone, failing for
	// days); empty when a user disabled it or it is enabled.
	DisabledReason string `json:"disabledReason,omitempty" dynamodbav:"disabledReason,omitempty"`
	// FailingSince (epoch ms) is when the first failed attempt since the last
	// success was made; 0 while the hook succeeds. The delivery service sets and
	// clears it (HookStore.SetFailingSince) and disables a hook that has been
	// failing for too long (docs/architecture.md §5: 5 days).
	FailingSince int64 `json:"failingSince,omitempty" dynamodbav:"failingSince,omitempty"`
	// MaxInFlight caps this hook's attempts in flight in one delivery process
	// (0: the service's default). The service's adaptive limit stays at or below it.
	MaxInFlight int `json:"maxInFlight,omitempty" dynamodbav:"maxInFlight,omitempty"`
	// CircuitOpenUntil (epoch ms) is set while the delivery service's circuit
	// breaker holds the hook's jobs back after consecutive failures; deliveries
	// resume with a probe once it has passed, and a success clears it. The
	// service sets it (HookStore.SetCircuit) so that every delivery process, and
	// the operator, sees the same state. CircuitReason says why it opened.
	CircuitOpenUntil int64  `json:"circuitOpenUntil,omitempty" dynamodbav:"circuitOpenUntil,omitempty"`
	CircuitReason    string `json:"circuitReason,omitempty" dynamodbav:"circuitReason,omitempty"`
	CreatedAt        int64  `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt        int64  `json:"updatedAt,omitempty" dynamodbav:"updatedAt,omitempty"`
	// Version counts the writes of the hook; every store write compares it, so
	// no read-modify-write can silently undo another (HookStore.PutHook). An item
	// written by hand without it is version 0.
	Version int64 `json:"version" dynamodbav:"version"`
}

// Subscribed reports whether the hook is enabled and listens to e.
func (h *Hook) Subscribed(e Event) bool {
	return h.Enabled && slices.Contains(h.Events, e)
}

// SigningKeys returns the keys deliveries are signed with at now: the current key
// and, during a rotation's grace period, the previous one.
func (h *Hook) SigningKeys(now time.Time) []string {
	keys := []string{h.SigningKey}
	if h.PreviousSigningKey != "" && now.UnixMilli() < h.PreviousKeyExpiresAt {
		keys = append(keys, h.PreviousSigningKey)
	}
	return keys
}

// Timeout returns the hook's delivery timeout, or def when the hook sets none.
func (h *Hook) Timeout(def time.Duration) time.Duration {
	if h.TimeoutMs > 0 {
		return time.Duration(h.TimeoutMs) * time.Millisecond
	}
	return def
}

// Limits on hook fields. Logto caps the name at 256 characters and retries at 0-3
// (its deprecated field); our retries count schedule steps, so it goes higher.
const (
	MaxHookNameLen = 256
	MaxRetries     = 20
	MaxTimeout     = 60 * time.Second
	MaxInFlight    = 1000
)

// Validate checks the fields a user sets. It does not check that the URL resolves to
// a public address: that needs DNS and a policy, see the delivery package.
func (h *Hook) Validate() error {
	if utf8.RuneCountInString(h.Name) > MaxHookNameLen {
		return &FieldError{Record: -1, Field: "name", Reason: fmt.Sprintf("is longer than %d characters", MaxHookNameLen)}
	}
	if len(h.Events) == 0 {
		return &FieldError{Record: -1, Field: "events", Reason: "must name at least one event"}
	}
	for i, e := range h.Events {
		if _, err := ParseEvent(string(e)); err != nil {
			return &FieldError{Record: -1, Field: fmt.Sprintf("events[%d]", i), Reason: err.Error()}
		}
	}
	if err := ValidateURL(h.URL); err != nil {
		return &FieldError{Record: -1, Field: "url", Reason: err.Error()}
	}
	names := slices.Sorted(maps.Keys(h.Headers)) // the same header named on every try
	for _, k := range names {
		if !validHeaderName(k) {
			return &FieldError{Record: -1, Field: "headers", Reason: fmt.Sprintf("%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", k)}
		}
		if !validHeaderValue(h.Headers[k]) {
			return &FieldError{Record: -1, Field: "headers." + k, Reason: "value contains a control character (line break, NUL, ...) that HTTP cannot carry"}
		}
	}
	if h.Retries != nil && (*h.Retries < 0 || *h.Retries > MaxRetries) {
		return &FieldError{Record: -1, Field: "retries", Reason: fmt.Sprintf("must be between 0 and %d", MaxRetries)}
	}
	if h.MaxInFlight < 0 || h.MaxInFlight > MaxInFlight {
		return &FieldError{Record: -1, Field: "maxInFlight", Reason: fmt.Sprintf("must be between 0 and %d", MaxInFlight)}
	}
	if h.TimeoutMs < 0 || time.Duration(h.TimeoutMs)*time.Millisecond > MaxTimeout {
		return &FieldError{Record: -1, Field: "timeoutMs", Reason: fmt.Sprintf("must be between 0 and %d", MaxTimeout.Milliseconds())}
	}
	return nil
}

// ValidateURL checks that u is an absolute http or https URL with a host. Unlike
// Logto, which stores any string, we reject what can never be delivered.
func ValidateURL(u string) error {
	if u == "" {
		return errors.New("is required")
	}
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("is not a valid URL: %v", err)
	}
	if p.Scheme != "http" && p.Scheme != "https" {
		return fmt.Errorf("must use http or https, not %q", p.Scheme)
	}
	if p.Hostname() == "" {
		return errors.New("has no host")
	}
	if p.User != nil {
		return errors.New("must not carry credentials; use a custom header instead")
	}
	if port := p.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("has an invalid port %q (want 1-65535)", port)
		}
	}
	return nil
}

const alphanumeric = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewHookID returns a 21-character id of [0-9a-z], the shape of Logto's hook ids.
func NewHookID() string { return randomString(alphanumeric[:36], 21) }

// NewSigningKey returns a 32-character key of [0-9a-zA-Z], like Logto's
// generateStandardSecret (about 190 bits of entropy).
func NewSigningKey() string { return randomString(alphanumeric, 32) }

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	// Rejection sampling keeps the distribution uniform.
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(buf[0]) >= limit {
			continue
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b)
}

// CircuitOpen reports whether the hook's circuit is open at now.
func (h *Hook) CircuitOpen(now time.Time) bool {
	return h.CircuitOpenUntil > now.UnixMilli()
}
