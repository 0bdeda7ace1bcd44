#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Debian's Chromium and ChromeDriver,
# for the test that opens the Label Studio labeling interface in a headless browser.
# Idempotent: does nothing when both are already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing chromium and chromium-driver from Debian (for the browser test)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
