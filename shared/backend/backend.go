// Package backend is the one place that decides where hooks, the delivery log
// and the queues live: a Backend is an open set of the webhook ports, opened
// from configuration by OpenAWS (DynamoDB and SQS, named directly or through a
// stack's outputs) or by embedded.OpenBackend (one SQLite file). The CLI, the
// console, `webhooks dev` and the Lambda functions all get their stores here,
// so the choice is made once and alike everywhere.
//
// This package does not import shared/embedded on purpose: the Lambda
// binaries open their stores through it and must not link the SQLite driver
// (functions/deps_test.go checks). The embedded opener lives with the
// embedded backend, and front ends that offer both compose the two.
package backend

import (
	"errors"

	"github.com/logto-webhooks/webhooks/shared/sqsqueue"
	"github.com/logto-webhooks/webhooks/shared/webhook"
)

// Queue is the delivery queue: ingest sends to it, delivery workers (or the
// SQS event source mapping, with only Retry) consume it.
type Queue interface {
	webhook.Sender
	webhook.Consumer
}

// Backend is an open set of stores. Those the opener was not asked for (Need)
// are nil; the embedded backend always sets them all.
type Backend struct {
	Hooks webhook.HookStore
	Log   webhook.DeliveryLog
	Queue Queue
	// SlowQueue is the delivery function's slow lane (AWS only, when asked for).
	SlowQueue *sqsqueue.Queue
	Dead      webhook.DeadLetters
	// Sources are the Logto tenants that relay to us (nil on AWS when the
	// stack has no sources table).
	Sources webhook.SourceStore
	// RelayURL is the base URL Logto reaches the relay at, up to "/logto"
	// (a stack's RelayUrl output), when the opener knows it; sources show it
	// followed by "/" and their id.
	RelayURL string
	// Where names the backend in messages for people: the file, the stack, or
	// "AWS".
	Where string

	close func() error
}

// New returns a Backend of the given stores, closed by closeFn (nil: nothing
// to close). Openers and tests that assemble stores themselves use it.
func New(b Backend, closeFn func() error) *Backend {
	b.close = closeFn
	return &b
}

// Close releases what the opener holds (the SQLite file; AWS clients hold
// nothing that needs closing).
func (b *Backend) Close() error {
	if b == nil || b.close == nil {
		return nil
	}
	return b.close()
}

// Need says which stores a caller uses, so that a missing setting is reported
// before anything runs and nothing unused is configured.
type Need int

// The stores of a Backend.
const (
	NeedHooks Need = 1 << iota
	NeedLog
	NeedQueue
	NeedDead
	// WantLog opens the delivery log when it is configured and goes without it
	// otherwise (a hook listing then shows no stats).
	WantLog
	NeedSources
	// WantSources opens the sources table when it is configured (the relay is
	// optional in the ingest function).
	WantSources
)

// NeedAll is every store; the console and `webhooks dev` use them all.
const NeedAll = NeedHooks | NeedLog | NeedQueue | NeedDead

// ErrMissing is wrapped by the error for a store that was needed but whose
// setting was not given.
var ErrMissing = errors.New("missing setting")
