#!/usr/bin/env bash
# Installs and runs the CMS end-to-end suites (real Strapi 5 and Payload 3 with mailroom as their
# email provider). Kept apart from the root install: ~1,500 packages and a native build.
#   test/cms/run.sh                 install if package-lock.json changed, build mailroom, run
# MAILROOM_CMS_NPM_CACHE: npm cache folder to keep between CI runs (default ~/.cache/mailroom-cms-npm).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${MAILROOM_CMS_NPM_CACHE:-$HOME/.cache/mailroom-cms-npm}"
export STRAPI_TELEMETRY_DISABLED=true

# The CMSs load the built package (test/cms depends on "mailroom-js": "file:../..").
(cd "$root" && npm run build --silent)

# npm ci wipes node_modules, and better-sqlite3 compiles from source (~1 min): skip it when the
# installed tree came from this very lockfile.
stamp="$here/node_modules/.mailroom-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --cache "$cache")
  echo "$want" > "$stamp"
fi

cd "$here"
# Types too: mailroomAdapter must fit Payload's own EmailAdapter type (see payload.test.ts).
"$root/node_modules/.bin/tsc" -p "$here"
exec npx vitest run "$@"
