#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the console's browser test
# (shared/console/browser_test.go), from the distribution's packages: Debian's
# `chromium`. Source it (scripts/test.sh does): it installs nothing when a
# browser is already there, and exports WEBHOOKS_TEST_CHROME with its path.
# Installing needs root (or sudo) and apt-get; without them it fails, and so
# does the test under `make test`: a missing browser is never a skip there.

find_chrome() {
  command -v chromium || command -v chromium-browser || command -v google-chrome || command -v google-chrome-stable
}

ensure_chrome() {
  if [ -n "${WEBHOOKS_TEST_CHROME:-}" ] && [ -x "$WEBHOOKS_TEST_CHROME" ]; then
    return 0
  fi
  if ! find_chrome >/dev/null; then
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || { echo "browser: chromium is missing; install it (apt-get install chromium) or run as root" >&2; return 1; }
      sudo="sudo -n"
    fi
    command -v apt-get >/dev/null || { echo "browser: chromium is missing and there is no apt-get to install it; install Chromium and set WEBHOOKS_TEST_CHROME" >&2; return 1; }
    echo "browser: installing chromium from the distribution's packages (first run only)" >&2
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
      { echo "browser: apt-get install chromium failed (see above)" >&2; return 1; }
  fi
  WEBHOOKS_TEST_CHROME=$(find_chrome)
  export WEBHOOKS_TEST_CHROME
}

ensure_chrome || { return 1 2>/dev/null || exit 1; }
