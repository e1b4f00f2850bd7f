#!/usr/bin/env bash
# Installs the pinned agent CLIs the `real-agents` tests drive — Claude Code,
# Codex and opencode — from the npm registry, from the checked-in
# tests/real_agents/package.json (exact versions) and package-lock.json, into a
# cache directory reused between runs (installed again only when the lock file
# changed). `npm ci` when the lock allows it; npm 11 leaves the platform
# packages of other systems (opencode-darwin-*, ...) out of a lock it writes
# and `npm ci` then refuses it, so `npm install` with the same lock and the
# exact versions (which pin every platform package too) is the fallback.
#   DROVER_REAL_AGENTS_DIR  the cache (default: $XDG_CACHE_HOME or ~/.cache, /drover-real-agents)
# Prints the directory holding the CLIs (node_modules/.bin) as its last line.
# Fails loudly (exit 1, saying why) when npm or the registry cannot be reached:
# the label must never pass by skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
src=tests/real_agents
cache=${DROVER_REAL_AGENTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/drover-real-agents}

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "install-real-agents: node and npm are missing; run scripts/install-deps.sh (Debian packages nodejs and npm)" >&2
  exit 1
fi
mkdir -p "$cache"
stamp="$cache/.installed-lock"
if [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" && [ -x "$cache/node_modules/.bin/claude" ] &&
   [ -x "$cache/node_modules/.bin/codex" ] && [ -x "$cache/node_modules/.bin/opencode" ]; then
  echo "install-real-agents: pinned CLIs already in $cache" >&2
  echo "$cache/node_modules/.bin"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$cache/"
rm -f "$stamp"
echo "install-real-agents: installing into $cache (Claude Code, Codex, opencode as pinned in $src/package-lock.json)" >&2
start=$(date +%s)
registry=$(npm config get registry)
if ! (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
  if ! (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >&2); then
    echo "install-real-agents: npm could not install the pinned CLIs from $registry (see above); the real-agents tests need that registry" >&2
    exit 1
  fi
fi
for cli in claude codex opencode; do
  if [ ! -x "$cache/node_modules/.bin/$cli" ]; then
    echo "install-real-agents: npm ci ran but $cache/node_modules/.bin/$cli is missing (a platform package was not installed?)" >&2
    exit 1
  fi
done
cp "$src/package-lock.json" "$stamp"
echo "install-real-agents: installed in $(( $(date +%s) - start ))s" >&2
echo "$cache/node_modules/.bin"
