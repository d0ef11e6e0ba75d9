package webhooktest

import (
	"context"
	"fmt"

	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// SetCircuit sets CircuitOpenUntil and CircuitReason of the hook and
// increments its Version, and nothing else.
func (s *MemoryHookStore) SetCircuit(_ context.Context, id string, openUntil int64, reason string) error {
	if openUntil < 0 {
		return fmt.Errorf("set hook %s circuit until %d: negative time", id, openUntil)
	}
	if openUntil == 0 {
		reason = ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok {
		return fmt.Errorf("set hook %s circuit: %w", id, webhook.ErrNotFound)
	}
	h.CircuitOpenUntil, h.CircuitReason = openUntil, reason
	h.Version++
	s.hooks[id] = h
	return nil
}
