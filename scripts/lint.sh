#!/usr/bin/env bash
# The lint step of `make test`, and `make lint` on its own: gofmt, go vet,
# golangci-lint (.golangci.yml: errcheck, govet, staticcheck, ineffassign, unused,
# misspell, gofmt) and a tidy go.mod. Any finding fails with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned golangci-lint (only the Go tools: lint needs no emulators or Python).
WEBHOOKS_TOOLS=go source scripts/tools.sh

# Tracked and new (not ignored) files, so an unformatted file fails before it is added.
files=$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null ||
  find . -name '*.go' -not -path './.cache/*' -not -path './.git/*')
unformatted=$(gofmt -l $files)
if [ -n "$unformatted" ]; then
  echo "gofmt would change these files (run gofmt -w on them):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
golangci-lint run ./...
go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy" >&2; exit 1; }
