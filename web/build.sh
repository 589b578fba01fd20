#!/usr/bin/env bash
# Builds the web editor into web/dist when needed; a fast no-op otherwise.
#   web/build.sh           install npm deps if missing or stale, build if sources changed
#   web/build.sh --force   rebuild regardless
# Used by `make run` (the server serves web/dist) and before the tests.
set -euo pipefail
cd "$(dirname "$0")"

export npm_config_update_notifier=false

# Dependencies: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Build when anything that feeds the bundle is newer than the last build.
stamp=dist/.build-stamp
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] && [ -f dist/index.html ] &&
  [ -z "$(find src index.html package.json package-lock.json vite.config.ts tsconfig.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "web: building web/dist"
npx --no-install vite build --logLevel warn
touch "$stamp"
