#!/usr/bin/env bash
# Installs what the test suite needs beyond PyPI: Debian's Chromium and ChromeDriver for the
# browser tests and axe-core from the npm registry. Idempotent; quiet when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing chromium and chromium-driver (Debian packages)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "NOTE: chromium/chromedriver missing and not root: browser tests will be skipped." >&2
  fi
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null; then
    npm ci --no-audit --no-fund --silent
  else
    echo "NOTE: npm missing: accessibility tests will be skipped." >&2
  fi
fi
