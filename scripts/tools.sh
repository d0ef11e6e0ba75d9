#!/usr/bin/env bash
# Installs, pinned and cached under .cache/, every tool `make test` needs on a fresh
# machine: a Python virtualenv with moto (SQS and DynamoDB emulator), aws-sam-cli and
# cfn-lint; the AWS Lambda Runtime Interface Emulator; golangci-lint. Source it: it
# exports PATH and the variables the tests read. It sets no shell options, so it is safe
# to source in an interactive shell; it returns non-zero if an install fails.
# WEBHOOKS_TOOLS=go installs only the Go tools lint needs (scripts/lint.sh).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.cache"
mkdir -p "$CACHE/bin"

PY_REQS="$ROOT/scripts/requirements.txt"
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
GOLANGCI_LINT_VERSION=v2.15.0 # builds with Go 1.26

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

ensure_venv() {
  local want
  want=$(sha256sum "$PY_REQS" | cut -d' ' -f1)
  if ! stamp_ok "$CACHE/venv/.reqs" "$want"; then
    echo "tools: installing Python tools into .cache/venv (first run takes a few minutes)" >&2
    python3 -m venv "$CACHE/venv" &&
      "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check -r "$PY_REQS" &&
      echo "$want" >"$CACHE/venv/.reqs"
  fi
}

ensure_go_tool() { # name module version
  local name=$1 mod=$2 ver=$3
  if ! stamp_ok "$CACHE/bin/.$name" "$ver" || [ ! -x "$CACHE/bin/$name" ]; then
    echo "tools: installing $name $ver" >&2
    GOBIN="$CACHE/bin" go install "$mod@$ver" &&
      echo "$ver" >"$CACHE/bin/.$name"
  fi
}

if [ "${WEBHOOKS_TOOLS:-}" != go ]; then
  ensure_venv || { echo "tools: Python tools failed to install (see above)" >&2; return 1 2>/dev/null || exit 1; }
  ensure_go_tool aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie "$RIE_VERSION" ||
    { echo "tools: aws-lambda-rie failed to install" >&2; return 1 2>/dev/null || exit 1; }
fi
ensure_go_tool golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION" ||
  { echo "tools: golangci-lint failed to install" >&2; return 1 2>/dev/null || exit 1; }

export PATH="$CACHE/bin:$CACHE/venv/bin:$PATH"
export WEBHOOKS_TEST_RIE="$CACHE/bin/aws-lambda-rie"
# sam and cfn-lint must not phone home or prompt in CI.
export SAM_CLI_TELEMETRY=0
