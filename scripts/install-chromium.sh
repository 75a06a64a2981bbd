#!/usr/bin/env bash
# Installs Debian's Chromium for the web client's browser tests (web/test/browser),
# which drive it with playwright-core: Playwright's own browser download needs the
# internet, Debian's package does not. Idempotent: does nothing when it is there.
set -euo pipefail
chromium_path=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$chromium_path" ]; then
  echo "== chromium: $("$chromium_path" --version 2>/dev/null || echo "$chromium_path")"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "!! no Chromium at $chromium_path and no apt-get: install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "== chromium: installing Debian's package"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "== chromium: $("$chromium_path" --version)"
