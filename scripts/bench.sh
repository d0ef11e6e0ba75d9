#!/usr/bin/env bash
# The benchmarks (`make bench`): installs the pinned tools (moto, the Lambda Runtime
# Interface Emulator), starts moto on loopback, runs the bench driver and writes the
# report to bin/benchmarks.md (BENCH_OUT overrides), never over a tracked file: copy
# it to docs/benchmarks.md deliberately. Prints one line per figure. Takes about
# 3-4 minutes on 2 cores. Extra arguments go to the driver, e.g.
# scripts/bench.sh -only delivery -out "".
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/tools.sh
source scripts/emulators.sh
trap stop_emulators EXIT

out="${BENCH_OUT:-bin/benchmarks.md}"
mkdir -p "$(dirname "$out")"
go run ./bench -out "$out" "$@"
