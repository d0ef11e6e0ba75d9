package management

import (
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// TenantID is the tenantId every hook reports: the service has one tenant, and
// Logto's OSS default tenant is called "default".
const TenantID = "default"

// HookJSON is Logto's Hook in its key order, plus two extras that only appear when
// they say something: previousKeyExpiresAt (the rotated-out key signs until then;
// the key itself is never returned) and disabledReason (why the service, not a
// user, disabled the hook). It is the one JSON shape of a hook: the HTTP API
// answers it and the CLI prints it, so a new hook field is added here once.
type HookJSON struct {
	TenantID string          `json:"tenantId"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Event    *webhook.Event  `json:"event"`
	Events   []webhook.Event `json:"events"`
	Config   ConfigJSON      `json:"config"`
	// SigningKey is always set by the API; front ends that must not show it
	// (the CLI's list) clear it, which drops the member.
	SigningKey           string `json:"signingKey,omitempty"`
	Enabled              bool   `json:"enabled"`
	CreatedAt            int64  `json:"createdAt"`
	PreviousKeyExpiresAt int64  `json:"previousKeyExpiresAt,omitempty"`
	DisabledReason       string `json:"disabledReason,omitempty"`
	// Circuit is set while the delivery service's circuit breaker holds the
	// hook's jobs back (see CircuitJSON).
	Circuit        *CircuitJSON   `json:"circuit,omitempty"`
	ExecutionStats *webhook.Stats `json:"executionStats,omitempty"`
}

// CircuitJSON says why and until when a hook's deliveries are held back: after
// consecutive failures the delivery service defers the hook's jobs (they keep
// their attempts) and, from openUntil on, sends one probe; a success closes it.
type CircuitJSON struct {
	State     string `json:"state"` // "open", or "half-open" once openUntil has passed
	OpenUntil int64  `json:"openUntil"`
	Reason    string `json:"reason"`
}

// ConfigJSON is Logto's HookConfig plus timeoutMs, our per-hook delivery timeout,
// and maxInFlight, the most attempts at the hook one delivery process runs at
// once (0: the service's default). Retries counts retries of our schedule
// (0-20), not Logto's in-process 0-3.
type ConfigJSON struct {
	URL         string            `json:"url"`
	Headers     map[string]string `json:"headers,omitempty"`
	Retries     *int              `json:"retries,omitempty"`
	TimeoutMs   int64             `json:"timeoutMs,omitempty"`
	MaxInFlight int               `json:"maxInFlight,omitempty"`
}

// ToJSON returns h as the API shows it at now. event is the legacy single event
// when the hook's events come from it, null otherwise.
func ToJSON(h webhook.Hook, now time.Time) HookJSON {
	events := h.Events
	if events == nil {
		events = []webhook.Event{}
	}
	out := HookJSON{
		TenantID: TenantID,
		ID:       h.ID,
		Name:     h.Name,
		Events:   events,
		Config: ConfigJSON{
			URL:         h.URL,
			Headers:     h.Headers,
			Retries:     h.Retries,
			TimeoutMs:   h.TimeoutMs,
			MaxInFlight: h.MaxInFlight,
		},
		SigningKey:     h.SigningKey,
		Enabled:        h.Enabled,
		CreatedAt:      h.CreatedAt,
		DisabledReason: h.DisabledReason,
	}
	if h.LegacyEvent != "" {
		e := h.LegacyEvent
		out.Event = &e
	}
	if h.CircuitOpenUntil != 0 {
		state := "open"
		if !h.CircuitOpen(now) {
			state = "half-open"
		}
		out.Circuit = &CircuitJSON{State: state, OpenUntil: h.CircuitOpenUntil, Reason: h.CircuitReason}
	}
	if h.PreviousSigningKey != "" && now.UnixMilli() < h.PreviousKeyExpiresAt {
		out.PreviousKeyExpiresAt = h.PreviousKeyExpiresAt
	}
	return out
}
