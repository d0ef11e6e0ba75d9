#!/usr/bin/env bash
# The long variants of the reliability tests (`make soak`): the burst through the
# dev pipeline grows from 10,000 to 100,000 events against the receiver failing
# 30 % of requests, and the request flood lasts 20 s instead of 2 s. `make test`
# runs the same tests at their default size. Set WEBHOOKS_BURST_EVENTS to pick
# the burst size and SOAK_RUNS to repeat the whole suite (catches rare races).
set -euo pipefail
cd "$(dirname "$0")/.."

export WEBHOOKS_SOAK=1
runs=${SOAK_RUNS:-1}
echo "== soak: reliability tests, long variants, $runs run(s)" >&2
exec go test -count="$runs" -timeout 60m -v ./reliability/...
