// Package webhooks is the repository root, which holds the AWS deployment:
// template.yaml, samconfig.toml and the Makefile targets sam build runs. The
// package has no code of its own; it exists for template_test.go, which checks
// the links between the template and the function code that no linter sees
// (environment variables, queue and table references, retry schedule against
// maxReceiveCount, timeouts, IAM authorization).
package webhooks
