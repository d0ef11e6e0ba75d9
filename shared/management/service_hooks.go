package management

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// HookInput is a create or update request, field by field as Logto's body
// has them; nil means absent (update: unchanged; create: the default). Front
// ends check shapes (the HTTP API its JSON); the Service checks values.
type HookInput struct {
	Name *string
	// Events, when not nil, replaces the hook's events.
	Events []webhook.Event
	// Event is Logto's deprecated single event: a hook given only Event
	// subscribes to that one event, as Logto matches it while events is empty.
	// ClearEvent is an explicit `"event": null`.
	Event      *webhook.Event
	ClearEvent bool
	// Config, when not nil, replaces the whole config (Logto's jsonb replace).
	Config  *HookConfig
	Enabled *bool
}

// HookConfig is Logto's HookConfig plus timeoutMs and maxInFlight.
type HookConfig struct {
	URL         string
	Headers     map[string]string
	Retries     *int
	TimeoutMs   int64
	MaxInFlight int
}

// apply sets the hook's config fields; absent ones are reset, not kept.
func (c *HookConfig) apply(h *webhook.Hook) {
	h.URL, h.Headers, h.Retries, h.TimeoutMs, h.MaxInFlight = c.URL, c.Headers, c.Retries, c.TimeoutMs, c.MaxInFlight
}

// ListHooks returns every hook, newest first.
func (s *Service) ListHooks(ctx context.Context) ([]webhook.Hook, error) {
	hooks, err := s.cfg.Hooks.ListHooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list hooks: %w", err)
	}
	return hooks, nil
}

// GetHook returns one hook, or ErrNotFound (Logto's entity.not_exists_with_id).
func (s *Service) GetHook(ctx context.Context, id string) (webhook.Hook, error) {
	h, err := s.cfg.Hooks.GetHook(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return h, notExistsWithID(id)
	}
	if err != nil {
		return h, fmt.Errorf("get hook %s: %w", id, err)
	}
	return h, nil
}

// Stats returns the hook's execution stats of the last 24 h (zero without a
// delivery log). An unknown id has zero stats.
func (s *Service) Stats(ctx context.Context, id string) (webhook.Stats, error) {
	if s.cfg.Log == nil {
		return webhook.Stats{}, nil
	}
	st, err := s.cfg.Log.Stats(ctx, id, s.now().Add(-24*time.Hour))
	if err != nil {
		return st, fmt.Errorf("stats of hook %s: %w", id, err)
	}
	return st, nil
}

// CreateHook creates a hook from in with a new id and signing key, enabled
// unless in says otherwise. It needs Config and Events (or the legacy Event).
func (s *Service) CreateHook(ctx context.Context, in HookInput) (webhook.Hook, error) {
	if in.Config == nil {
		return webhook.Hook{}, invalid("config", "is required")
	}
	now := s.now().UnixMilli()
	hook := webhook.Hook{Events: in.Events, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if in.Events == nil && in.Event != nil {
		// Logto stores the legacy field and matches on it while events is
		// empty; folding it into events delivers the same, and LegacyEvent
		// remembers the fold for a later PATCH of event.
		hook.Events, hook.LegacyEvent = []webhook.Event{*in.Event}, *in.Event
	}
	if len(hook.Events) == 0 {
		return webhook.Hook{}, &Error{Kind: ErrInvalid, Code: "hook.missing_events", Field: "events",
			Message: "You need to provide at least one event in events."}
	}
	if in.Name != nil {
		hook.Name = *in.Name
	}
	if in.Enabled != nil {
		hook.Enabled = *in.Enabled
	}
	in.Config.apply(&hook)
	if err := s.validate(ctx, &hook, true); err != nil {
		return webhook.Hook{}, err
	}
	for {
		hook.ID, hook.SigningKey = webhook.NewHookID(), webhook.NewSigningKey()
		err := s.cfg.Hooks.PutHook(ctx, hook)
		if errors.Is(err, webhook.ErrConflict) {
			continue // the random id is taken, which 109 bits make all but impossible
		}
		if err != nil {
			return webhook.Hook{}, fmt.Errorf("create hook: %w", err)
		}
		hook.Version++
		return hook, nil
	}
}

// UpdateHook applies in to the hook (Logto's PATCH). Enabling or disabling
// also clears why the service disabled it and restarts its failure clock.
// Concurrent writes are never undone: see modify.
func (s *Service) UpdateHook(ctx context.Context, id string, in HookInput) (webhook.Hook, error) {
	if in.Config != nil {
		probe := webhook.Hook{}
		in.Config.apply(&probe)
		if err := s.checkURL(ctx, probe.URL); err != nil {
			return webhook.Hook{}, err
		}
	}
	return s.modify(ctx, id, notExists(), func(hook *webhook.Hook) error {
		if in.Name != nil {
			hook.Name = *in.Name
		}
		switch {
		case in.Events != nil:
			hook.Events, hook.LegacyEvent = in.Events, ""
		case in.Event != nil && (hook.LegacyEvent != "" || len(hook.Events) == 0):
			// The hook's events came from the legacy field, so Logto would now
			// match the new one. (With explicit events Logto ignores event.)
			hook.Events, hook.LegacyEvent = []webhook.Event{*in.Event}, *in.Event
		case in.ClearEvent && hook.LegacyEvent != "":
			// Logto's hook would then match no event at all.
			return &Error{Kind: ErrInvalid, Code: "hook.missing_events", Field: "event",
				Message: "The hook's events come from event; set events before clearing event."}
		}
		if in.Config != nil {
			in.Config.apply(hook)
		}
		if in.Enabled != nil {
			setEnabled(hook, *in.Enabled)
		}
		hook.UpdatedAt = s.now().UnixMilli()
		return s.validate(ctx, hook, false)
	})
}

// setEnabled is a user's choice, which supersedes the service's reason for
// disabling and restarts the 5-day failure clock.
func setEnabled(hook *webhook.Hook, enabled bool) {
	hook.Enabled, hook.DisabledReason, hook.FailingSince = enabled, "", 0
}

// SetEnabled enables or disables the hook, as UpdateHook with only Enabled.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool) (webhook.Hook, error) {
	return s.modify(ctx, id, notExists(), func(hook *webhook.Hook) error {
		setEnabled(hook, enabled)
		hook.UpdatedAt = s.now().UnixMilli()
		return nil
	})
}

// DeleteHook deletes the hook; its queued deliveries are dropped when they
// find it gone. Unknown id: ErrNotFound (Logto's entity.not_found).
func (s *Service) DeleteHook(ctx context.Context, id string) error {
	err := s.cfg.Hooks.DeleteHook(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return fmt.Errorf("delete hook %s: %w", id, err)
	}
	return nil
}

// RotateKey gives the hook a new signing key. Unlike Logto, whose rotation is
// immediate, the old key keeps signing deliveries (a second signature) for a
// grace period so receivers can switch without rejecting deliveries: grace, or
// Config.RotationGrace when nil; 0 makes the rotation immediate. Rotating again
// within the grace drops the oldest key: only one previous key is kept. The
// hook returned is the one stored, so its key is the one deliveries use.
func (s *Service) RotateKey(ctx context.Context, id string, grace *time.Duration) (webhook.Hook, error) {
	g := s.cfg.RotationGrace
	if grace != nil {
		if *grace < 0 || *grace > MaxRotationGrace {
			return webhook.Hook{}, invalid("grace", fmt.Sprintf("must be a duration such as \"24h\" between 0s and %s", MaxRotationGrace))
		}
		g = *grace
	}
	return s.modify(ctx, id, notExists(), func(hook *webhook.Hook) error {
		now := s.now()
		old := hook.SigningKey
		hook.SigningKey = webhook.NewSigningKey()
		hook.PreviousSigningKey, hook.PreviousKeyExpiresAt = "", 0
		if g > 0 && old != "" {
			hook.PreviousSigningKey = old
			hook.PreviousKeyExpiresAt = now.Add(g).UnixMilli()
		}
		hook.UpdatedAt = now.UnixMilli()
		return nil
	})
}

// validate runs Hook.Validate and, if checkURL, the destination check, naming
// fields as the API spells them (config.url, not url).
func (s *Service) validate(ctx context.Context, hook *webhook.Hook, checkURL bool) error {
	if err := hook.Validate(); err != nil {
		var fe *webhook.FieldError
		if !errors.As(err, &fe) {
			return invalid("", err.Error())
		}
		field := fe.Field
		switch field {
		case "name", "events":
		default:
			if len(field) < 6 || field[:6] != "events" {
				field = "config." + field
			}
		}
		return invalid(field, fe.Reason)
	}
	if checkURL {
		return s.checkURL(ctx, hook.URL)
	}
	return nil
}

// checkURL runs Config.CheckURL on a URL that passed webhook.ValidateURL.
func (s *Service) checkURL(ctx context.Context, u string) error {
	if s.cfg.CheckURL == nil || webhook.ValidateURL(u) != nil {
		return nil // Validate reports a malformed URL with its own reason
	}
	if err := s.cfg.CheckURL(ctx, u); err != nil {
		return invalid("config.url", err.Error())
	}
	return nil
}
