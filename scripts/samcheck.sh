#!/usr/bin/env bash
# Checks template.yaml with the tools users run (issue 4): sam validate --lint,
# cfn-lint with informational rules on (any finding fails; suppressions live in the
# template's Metadata with a reason), and sam build, whose two bootstrap binaries
# must be linux/arm64, each built from its own ./functions/<name> with -tags
# lambda.norpc and -trimpath, and stripped.
# No Docker, no AWS credentials, no network. scripts/test.sh runs it after go test
# with tools.sh sourced; run alone, it sources tools.sh itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v sam >/dev/null || ! command -v cfn-lint >/dev/null; then
  source scripts/tools.sh
fi
export SAM_CLI_TELEMETRY=0
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}

BUILD_DIR=.aws-sam/build

echo "samcheck: sam validate --lint" >&2
sam validate --lint --template-file template.yaml

echo "samcheck: cfn-lint" >&2
cfn-lint --include-checks I -- template.yaml

echo "samcheck: sam build" >&2
# --build-in-source: CodeUri is the repository root, which sam would otherwise copy
# (.cache included) once per function. --no-cached: sam's cache hashes that whole
# tree; always running make is as fast, since Go's build cache does the caching.
sam build --template-file template.yaml --build-dir "$BUILD_DIR" --build-in-source --no-cached --parallel >/dev/null

fail=0
for fn in IngestFunction DeliveryFunction; do
  bin="$BUILD_DIR/$fn/bootstrap"
  if [ ! -x "$bin" ]; then
    echo "samcheck: $bin is missing or not executable" >&2
    fail=1
    continue
  fi
  info=$(go version -m "$bin")
  for want in GOOS=linux GOARCH=arm64 CGO_ENABLED=0 -tags=lambda.norpc -trimpath=true; do
    if ! grep -qF -- "build	$want" <<<"$info"; then
      echo "samcheck: $bin was not built with $want:" >&2
      echo "$info" >&2
      fail=1
    fi
  done
  pkg=$(tr '[:upper:]' '[:lower:]' <<<"${fn%Function}")
  if ! grep -qE "^[[:space:]]*path[[:space:]].*/functions/$pkg\$" <<<"$info"; then
    echo "samcheck: $bin is not built from ./functions/$pkg:" >&2
    echo "$info" >&2
    fail=1
  fi
  # -trimpath keeps -ldflags out of the build info, so look for the symbol table.
  if go tool nm "$bin" >/dev/null 2>&1; then
    echo "samcheck: $bin has a symbol table; want it stripped (-ldflags=\"-s -w\")" >&2
    fail=1
  fi
  if command -v file >/dev/null && ! file "$bin" | grep -q 'ELF 64-bit.*ARM aarch64'; then
    echo "samcheck: $bin is not an ELF arm64 executable: $(file -b "$bin")" >&2
    fail=1
  fi
done
[ "$fail" = 0 ] || exit 1
echo "samcheck: ok (template valid and lint-clean, both bootstraps linux/arm64)" >&2
