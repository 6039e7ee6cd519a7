#!/usr/bin/env bash
# Installs what the test suite needs beyond PyPI: Debian's Chromium and ChromeDriver for the
# browser tests, nginx with its headers-more module for the https stack test (the README's
# production set-up), LibreOffice Calc without a display (the report workbook must open and
# convert without a repair prompt), npm (Debian's package) and, through it, axe-core from the npm registry.
# Idempotent; quiet when all is present. Without root the missing parts are named and the
# tests that need them are skipped (CI, which requires them, then fails).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v npm >/dev/null || missing+=(npm)
test -x /usr/sbin/nginx || missing+=(nginx)
test -f /usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so \
  || missing+=(libnginx-mod-http-headers-more-filter)
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)  # opens the report workbook

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "NOTE: missing ${missing[*]} (install with: sudo apt-get install ${missing[*]});" \
         "the browser and accessibility tests will be skipped." >&2
  fi
fi

if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  npm ci --no-audit --no-fund --silent
fi
