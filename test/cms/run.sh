#!/usr/bin/env bash
# Installs and runs the CMS end-to-end suites (real Strapi 5 and Payload 3 with mailroom as their
# email provider). Kept apart from the root install: ~1,500 packages and a native build.
#   test/cms/run.sh                 pack mailroom-js, install it (and test/cms if its lockfile changed), run
# MAILROOM_CMS_NPM_CACHE: npm cache folder to keep between CI runs (default ~/.cache/mailroom-cms-npm).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${MAILROOM_CMS_NPM_CACHE:-$HOME/.cache/mailroom-cms-npm}"
export STRAPI_TELEMETRY_DISABLED=true

# Debian's chromium for the admin end-to-end suite (strapi-e2e.test.ts), installed when missing, so
# `npm run test:cms` alone works on a fresh machine too (test:all ran this already: then it is a no-op).
bash "$root/test/setup-machine.sh"

# npm from the kept cache, offline-first; when the cache's package metadata is older than the
# lockfile (ETARGET: a version published since), once more asking the registry.
cms_npm() {
  npm "$@" --no-audit --no-fund --prefer-offline --cache "$cache" || npm "$@" --no-audit --no-fund --cache "$cache"
}

# npm ci wipes node_modules, and better-sqlite3 compiles from source (~1 min): skip it when the
# installed tree came from this very lockfile.
stamp="$here/node_modules/.mailroom-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$here" && cms_npm ci)
  echo "$want" > "$stamp"
fi

# payload-next/ is the Payload admin (Next.js, React 19) of payload-e2e.test.ts: its own install,
# as Strapi's admin needs React 18; skipped the same way when its lockfile did not change.
next_stamp="$here/payload-next/node_modules/.mailroom-lock.sha256"
next_want="$(sha256sum "$here/payload-next/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$next_stamp" || "$(cat "$next_stamp")" != "$next_want" ]]; then
  (cd "$here/payload-next" && cms_npm ci)
  echo "$next_want" > "$next_stamp"
fi

# The CMSs get mailroom-js as a user does: the packed tarball (`npm pack` builds it, see prepack),
# not the source tree. It is not in package.json: its integrity changes with every build while its
# version does not, so a lockfile entry could never match. Installing it after `npm ci` with
# --no-save keeps package.json and package-lock.json as committed (npm ci stays exact for the CMSs),
# and mailroom-js's own dependencies resolve from its package.json, as in a user's install.
pack_dir="$(mktemp -d)"
(cd "$root" && npm pack --silent --pack-destination "$pack_dir" > /dev/null)
(cd "$here" && cms_npm install --no-save "$pack_dir"/mailroom-js-*.tgz)
(cd "$here/payload-next" && cms_npm install --no-save "$pack_dir"/mailroom-js-*.tgz)
rm -rf "$pack_dir"

cd "$here"
# Types too: mailroomAdapter must fit Payload's own EmailAdapter type (see payload.test.ts).
"$root/node_modules/.bin/tsc" -p "$here"
exec npx vitest run "$@"
