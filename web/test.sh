#!/usr/bin/env bash
# Every web test: type check, Vitest unit tests, then end-to-end tests in
# headless Chromium against the real server binary.
#   web/test.sh
# Installs Debian's chromium if it is missing (needs root, as on CI), builds
# web/dist and target/debug/rocqet when needed. Exits non-zero on any failure.
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$web")"
export npm_config_update_notifier=false

if [ ! -x /usr/bin/chromium ]; then
  echo "web: installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; }
fi

"$web/build.sh"

cd "$web"
echo "web: type check"
npx --no-install tsc --noEmit
echo "web: unit tests (vitest)"
npx --no-install vitest run

# cargo is a no-op when the binary is current.
echo "web: server binary"
(cd "$repo" && cargo build --quiet -p rocqet-server --bin rocqet)

echo "web: end-to-end tests (node:test + playwright-core, headless chromium)"
ROCQET_BIN="$repo/target/debug/rocqet" node --test --test-concurrency=1 e2e/
