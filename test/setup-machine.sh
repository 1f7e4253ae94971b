#!/usr/bin/env bash
# Installs the system programs the test suites use, from Debian's packages, when they are missing:
# redis-server (journal on Redis) and chromium (the rendered templates checked in a real browser).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]} > 0)); then
  echo "installing ${missing[*]} (Debian packages)"
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
