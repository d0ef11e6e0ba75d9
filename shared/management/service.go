package management

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/logto-webhooks/webhooks/shared/delivery"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Config is what the Service needs. Hooks is required; every other field has a
// usable zero value.
type Config struct {
	// Hooks stores the hooks the API manages.
	Hooks webhook.HookStore
	// Sources stores the Logto tenants the relay accepts (ListSources...).
	// Nil: the source calls answer ErrUnavailable.
	Sources webhook.SourceStore
	// Log answers recent-logs and execution stats. Nil: no logs and zero stats.
	Log webhook.DeliveryLog
	// Now is the clock (nil: time.Now); tests pin it.
	Now func() time.Time
	// CheckURL vets a destination when a hook is saved or tested, after the URL
	// passed webhook.ValidateURL; the SSRF policy of the delivery package plugs in
	// here (CheckDestination). Its error is shown to the caller as the reason. Nil
	// accepts any valid http(s) URL.
	CheckURL func(ctx context.Context, url string) error
	// Poster sends test payloads, signed and POSTed exactly as deliveries are
	// (delivery.Attempt). Nil: Test answers ErrUnavailable.
	Poster delivery.Poster
	// TestTimeout bounds a test send when the hook sets no timeout (zero:
	// delivery.DefaultTimeout).
	TestTimeout time.Duration
	// RotationGrace is how long the previous signing key stays valid after a
	// rotation when the request names no grace. Zero: DefaultRotationGrace;
	// negative: rotations are immediate, as in Logto.
	RotationGrace time.Duration
	// Logger receives internal errors, which HTTP clients only see as "internal
	// error". Nil: slog.Default().
	Logger *slog.Logger
}

// Service is hook management: the rules of Logto's hook API (what may be
// created and changed, and how) over any webhook.HookStore, behind every front
// end: the HTTP API (NewHandler), the CLI and the web console. Its errors are
// *Error values for what the user did wrong, anything else for a failed store.
type Service struct {
	cfg Config
	log *slog.Logger
}

// NewService returns the Service. It panics if cfg.Hooks is nil, a wiring
// mistake no call could recover from.
func NewService(cfg Config) *Service {
	if cfg.Hooks == nil {
		panic("management.NewService: Config.Hooks is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RotationGrace == 0 {
		cfg.RotationGrace = DefaultRotationGrace
	}
	if cfg.RotationGrace < 0 {
		cfg.RotationGrace = 0
	}
	if cfg.TestTimeout <= 0 {
		cfg.TestTimeout = delivery.DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, log: log}
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// maxWriteAttempts bounds the re-reads of a read-modify-write that keeps
// conflicting. Conflicts come from people and from the delivery side (a 410
// disabling the hook, the failure clock), so a handful of tries outlasts any
// realistic burst; beyond that the caller gets ErrConflict.
const maxWriteAttempts = 6

// modify is every read-modify-write of a hook: it reads the hook, applies
// change (which validates its result) and writes it at the version it read.
// On a conflict it reads again and re-applies the change, so the change lands
// on the latest hook and never undoes another write; after maxWriteAttempts it
// gives up with conflict(id) and nothing written. It returns the hook as
// stored. A hook missing, or deleted meanwhile, is notFound.
func (s *Service) modify(ctx context.Context, id string, notFound *Error, change func(h *webhook.Hook) error) (webhook.Hook, error) {
	return readModifyWrite(ctx, s, item[webhook.Hook]{
		kind: "hook", get: s.cfg.Hooks.GetHook, put: s.cfg.Hooks.PutHook,
		bump: func(h *webhook.Hook) { h.Version++ }, notFound: notFound, conflict: conflict(id),
	}, id, change)
}

// item is what readModifyWrite needs of one kind of stored item.
type item[T any] struct {
	kind               string // "hook" or "source", for errors and the log
	get                func(context.Context, string) (T, error)
	put                func(context.Context, T) error
	bump               func(*T) // the version increment the store made
	notFound, conflict *Error
}

// readModifyWrite is modify for any item kind whose store writes at the
// version read (ErrConflict otherwise); see modify.
func readModifyWrite[T any](ctx context.Context, s *Service, it item[T], id string, change func(*T) error) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		v, err := it.get(ctx, id)
		if errors.Is(err, webhook.ErrNotFound) {
			return zero, it.notFound
		}
		if err != nil {
			return zero, fmt.Errorf("get %s %s: %w", it.kind, id, err)
		}
		if err := change(&v); err != nil {
			return zero, err
		}
		err = it.put(ctx, v)
		switch {
		case err == nil:
			it.bump(&v)
			return v, nil
		case errors.Is(err, webhook.ErrNotFound):
			return zero, it.notFound
		case !errors.Is(err, webhook.ErrConflict):
			return zero, fmt.Errorf("write %s %s: %w", it.kind, id, err)
		case attempt == maxWriteAttempts:
			s.log.WarnContext(ctx, "management: "+it.kind+" kept changing, giving up", it.kind, id, "attempts", attempt)
			return zero, it.conflict
		}
		// Writers that collided would collide again in lockstep; a short
		// random pause spreads them out.
		select {
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-time.After(time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))):
		}
	}
}
