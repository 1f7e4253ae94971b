#!/usr/bin/env bash
# Installs the system programs the test suites use, from Debian's packages, when they are missing:
# redis-server (journal, shared limits and queue on Redis), postgresql (journal on PostgreSQL; the
# binaries live in /usr/lib/postgresql/<major>/bin on Debian, which the test helper finds) and chromium
# (the rendered templates checked in a real browser, and the CMS admin screens driven end to end by
# test/cms/strapi-e2e.test.ts, which fails without it).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]} > 0)); then
  echo "installing ${missing[*]} (Debian packages)"
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
