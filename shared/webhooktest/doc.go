// Package webhooktest holds what tests of every backend share: memory fakes of the
// ports in shared/webhook (HookStore, DeliveryLog and the queue interfaces) and the
// contract suites that each backend (memory, DynamoDB/SQS, embedded SQLite) runs, so
// that all of them behave alike where callers can tell. It also holds the
// signature-checking Receiver that end-to-end tests deliver to, and SyncBuffer for
// the output of subprocesses.
//
// The fakes are real implementations, safe for concurrent use, not mocks: services
// can be tested against them end to end. This package imports no AWS package.
package webhooktest
