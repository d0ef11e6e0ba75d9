package management

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SourceInput is a create or update of a source; nil means absent (update:
// unchanged). Front ends check shapes; the Service checks values.
type SourceInput struct {
	Name *string
	// SigningKey, when set, replaces the key at once and drops any previous
	// key: the first paste of Logto's key, or a correction. To switch keys
	// without refusing bodies Logto signed with the old one, use
	// RotateSourceKey.
	SigningKey *string
	Enabled    *bool
}

// ListSources returns every source, newest first.
func (s *Service) ListSources(ctx context.Context) ([]webhook.Source, error) {
	store, err := s.sourceStore()
	if err != nil {
		return nil, err
	}
	list, err := store.ListSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return list, nil
}

// GetSource returns one source, or ErrNotFound.
func (s *Service) GetSource(ctx context.Context, id string) (webhook.Source, error) {
	store, err := s.sourceStore()
	if err != nil {
		return webhook.Source{}, err
	}
	src, err := store.GetSource(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return src, sourceNotFound(id)
	}
	if err != nil {
		return src, fmt.Errorf("get source %s: %w", id, err)
	}
	return src, nil
}

// CreateSource creates a source with a new id, enabled unless in says
// otherwise. It needs Name. Without SigningKey the source accepts nothing
// until Logto's key is set with UpdateSource.
func (s *Service) CreateSource(ctx context.Context, in SourceInput) (webhook.Source, error) {
	store, err := s.sourceStore()
	if err != nil {
		return webhook.Source{}, err
	}
	if in.Name == nil {
		return webhook.Source{}, invalid("name", "is required")
	}
	now := s.now().UnixMilli()
	src := webhook.Source{Name: *in.Name, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if in.SigningKey != nil {
		src.SigningKey = *in.SigningKey
	}
	if in.Enabled != nil {
		src.Enabled = *in.Enabled
	}
	if err := validateSource(&src); err != nil {
		return webhook.Source{}, err
	}
	for {
		src.ID = webhook.NewSourceID()
		err := store.PutSource(ctx, src)
		if errors.Is(err, webhook.ErrConflict) {
			continue // the random id is taken, which 109 bits make all but impossible
		}
		if err != nil {
			return webhook.Source{}, fmt.Errorf("create source: %w", err)
		}
		src.Version++
		return src, nil
	}
}

// UpdateSource applies in to the source. Concurrent writes are never undone:
// the change is re-applied on the latest version, as for hooks.
func (s *Service) UpdateSource(ctx context.Context, id string, in SourceInput) (webhook.Source, error) {
	return s.modifySource(ctx, id, func(src *webhook.Source) error {
		if in.Name != nil {
			src.Name = *in.Name
		}
		if in.SigningKey != nil {
			src.SigningKey, src.PreviousSigningKey, src.PreviousKeyExpiresAt = *in.SigningKey, "", 0
		}
		if in.Enabled != nil {
			src.Enabled = *in.Enabled
		}
		src.UpdatedAt = s.now().UnixMilli()
		return validateSource(src)
	})
}

// RotateSourceKey sets the source's key to key, the one Logto shows after its
// "regenerate signing key", and keeps accepting the old key for grace (nil:
// Config.RotationGrace; 0: at once), so bodies Logto signed before the switch,
// and its retries of them, still verify. Only one previous key is kept.
func (s *Service) RotateSourceKey(ctx context.Context, id, key string, grace *time.Duration) (webhook.Source, error) {
	g := s.cfg.RotationGrace
	if grace != nil {
		if *grace < 0 || *grace > MaxRotationGrace {
			return webhook.Source{}, invalid("grace", fmt.Sprintf("must be a duration such as \"1h\" between 0s and %s", MaxRotationGrace))
		}
		g = *grace
	}
	if key == "" {
		return webhook.Source{}, invalid("signingKey", "is required: paste the key Logto shows for the webhook")
	}
	return s.modifySource(ctx, id, func(src *webhook.Source) error {
		now := s.now()
		old := src.SigningKey
		src.SigningKey, src.PreviousSigningKey, src.PreviousKeyExpiresAt = key, "", 0
		if g > 0 && old != "" && old != key {
			src.PreviousSigningKey, src.PreviousKeyExpiresAt = old, now.Add(g).UnixMilli()
		}
		src.UpdatedAt = now.UnixMilli()
		return validateSource(src)
	})
}

// DeleteSource deletes the source; the relay then answers 404 for it.
func (s *Service) DeleteSource(ctx context.Context, id string) error {
	store, err := s.sourceStore()
	if err != nil {
		return err
	}
	err = store.DeleteSource(ctx, id)
	if errors.Is(err, webhook.ErrNotFound) {
		return sourceNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("delete source %s: %w", id, err)
	}
	return nil
}

// modifySource is the read-modify-write of a source, with modify's rules:
// re-read and re-apply on a conflict, give up after maxWriteAttempts.
func (s *Service) modifySource(ctx context.Context, id string, change func(src *webhook.Source) error) (webhook.Source, error) {
	store, err := s.sourceStore()
	if err != nil {
		return webhook.Source{}, err
	}
	return readModifyWrite(ctx, s, item[webhook.Source]{
		kind: "source", get: store.GetSource, put: store.PutSource,
		bump: func(src *webhook.Source) { src.Version++ }, notFound: sourceNotFound(id),
		conflict: &Error{Kind: ErrConflict, Code: "source.conflict",
			Message: "The source with ID " + strconv.Quote(id) + " changed while this change was applied; nothing was changed. Read it again and retry."},
	}, id, change)
}

func (s *Service) sourceStore() (webhook.SourceStore, error) {
	if s.cfg.Sources == nil {
		return nil, &Error{Kind: ErrUnavailable, Code: "source.unavailable", Message: "sources are not available on this backend"}
	}
	return s.cfg.Sources, nil
}

func validateSource(src *webhook.Source) error {
	if err := src.Validate(); err != nil {
		if fe, ok := errors.AsType[*webhook.FieldError](err); ok {
			return invalid(fe.Field, fe.Reason)
		}
		return invalid("", err.Error())
	}
	return nil
}

func sourceNotFound(id string) *Error {
	return &Error{Kind: ErrNotFound, Code: "entity.not_exists_with_id",
		Message: "The source with ID " + strconv.Quote(id) + " does not exist."}
}
