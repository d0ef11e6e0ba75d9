#!/usr/bin/env bash
# Starts moto in server mode (SQS and DynamoDB over their real wire protocols) on
# 127.0.0.1 and a free port. Source it after tools.sh; it exports AWS_ENDPOINT_URL and
# fake credentials, and defines stop_emulators for the caller's EXIT trap. It sets no shell
# options, so it is safe to source interactively; it returns non-zero if moto won't start.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

MOTO_PORT=$(free_port)
MOTO_LOG="${TMPDIR:-/tmp}/webhooks-moto-$MOTO_PORT.log"
# scripts/moto_server.py is moto_server with DynamoDB requests serialised (see there).
python "$(dirname "${BASH_SOURCE[0]}")/moto_server.py" 127.0.0.1 "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!

stop_emulators() {
  if [ -n "${MOTO_PID:-}" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
}

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null; then
    echo "emulators: moto exited; its log:" >&2; cat "$MOTO_LOG" >&2; return 1 2>/dev/null || exit 1
  fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null ||
  { echo "emulators: moto did not start; log in $MOTO_LOG" >&2; stop_emulators; return 1 2>/dev/null || exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export WEBHOOKS_TEST_AWS_ENDPOINT="$AWS_ENDPOINT_URL"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "emulators: moto on $AWS_ENDPOINT_URL" >&2
