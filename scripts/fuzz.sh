#!/usr/bin/env bash
# Longer fuzzing (`make fuzz`): runs every Fuzz* target in the module for FUZZTIME
# each (default 30s), one after the other (the fuzzer uses every core). `make test`
# runs the same targets on their seed corpus only. New failing inputs land in the
# package's testdata/fuzz/ directory; commit them as regression seeds.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-30s}
found=0
failed=()
# Only packages whose tests declare a Fuzz function need compiling for -list.
pkgs=$(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_]' . | grep -v '^./.cache/' | xargs -r -n1 dirname | sort -u)
for pkg in $pkgs; do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for target in $targets; do
    found=$((found + 1))
    echo "== fuzz $pkg $target ($FUZZTIME)" >&2
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"; then
      failed+=("$pkg $target")
    fi
  done
done
if [ "$found" -eq 0 ]; then
  echo "fuzz: no Fuzz targets found" >&2
  exit 1
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failures in:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: $found targets ran $FUZZTIME each without failure" >&2
