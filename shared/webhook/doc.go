// Package webhook holds the domain of a Logto-compatible webhook service: the event
// catalog, hooks (subscriptions), delivery jobs, delivery-log entries and the ports
// (small interfaces) that storage and queue adapters implement.
//
// It imports only the standard library so that the mapping, ingest and delivery
// services can run unchanged on AWS (DynamoDB, SQS), on the embedded SQLite backend
// and in tests.
package webhook
