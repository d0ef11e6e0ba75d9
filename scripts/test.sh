#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test`): installs the pinned tools, checks
# formatting and lint (scripts/lint.sh), starts the emulators, runs every Go test
# (integration tests included: WEBHOOKS_REQUIRE_EMULATORS turns a missing emulator or
# browser into a failure), then checks the SAM template with the tools users run.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/tools.sh
source scripts/browser.sh
# Screenshots of every console page from the browser test.
export WEBHOOKS_SCREENSHOTS="$PWD/.cache/screenshots"

echo "== lint" >&2
scripts/lint.sh

echo "== emulators" >&2
source scripts/emulators.sh
trap stop_emulators EXIT

export WEBHOOKS_REQUIRE_EMULATORS=1
echo "== go test" >&2
# The race detector runs on everything but the reliability suite, whose bursts
# are timed end to end and run 5-10x slower under it (a run under the detector
# reported no race).
go test -race -count=1 -timeout 12m $(go list ./... | grep -v /reliability)
go test -count=1 -timeout 5m ./reliability/...

if [ -x scripts/samcheck.sh ]; then
  echo "== template" >&2
  scripts/samcheck.sh
fi
