#!/usr/bin/env bash
# System packages the test suite needs beyond Python, from Debian:
# - Chromium and ChromeDriver, for the test that opens the Label Studio labeling interface in a
#   headless browser;
# - PostgreSQL's server programs (initdb, pg_ctl), for the test that runs Label Studio on a
#   throwaway PostgreSQL cluster (tests/test_postgres.py). Debian keeps them in
#   /usr/lib/postgresql/<version>/bin/, off the PATH.
# Idempotent and quiet: installs only what is missing, and does nothing when all is there.
set -euo pipefail

packages=()
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  packages+=(chromium chromium-driver)
fi
has_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  local bin
  for bin in /usr/lib/postgresql/*/bin; do
    [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && return 0
  done
  return 1
}
if ! has_postgres; then
  packages+=(postgresql)
fi
[ "${#packages[@]}" -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing ${packages[*]} from Debian (for the browser and PostgreSQL tests)..."
$SUDO apt-get update -qq
# policy-rc.d: the package must not start (or create) a system-wide cluster or service here;
# the test runs its own throwaway cluster. Only added when no policy is in place already.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
trap '[ -z "$added_policy" ] || $SUDO rm -f "$policy"' EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
