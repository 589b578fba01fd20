#!/usr/bin/env bash
# Issue 4's "cutting a version does not stall the room": the 1-doc fan-out
# (1 doc x 50 clients x 5 writers x 10/s) against Rocqet with default version
# settings and with a version (full snapshot) cut on every 1 s sweep while
# editing goes on; runs alternate. Loopback only, bounded (RUN_SECONDS <= 55).
#
#   load-tests/run-versions-stall.sh              # REPS=2, 20 s runs, ~2 min
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-2}
RUN_SECONDS=${RUN_SECONDS:-20}
PORT=${BASE_PORT:-18600}
(( RUN_SECONDS <= 55 )) || { echo "RUN_SECONDS must be <= 55" >&2; exit 2; }
OUT="$HERE/results/$(date +%F)"
STAMP=$(date +%H%M%S)
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)
SERVER_PID=""
trap '[[ -n $SERVER_PID ]] && kill $SERVER_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT

(cd "$ROOT" && cargo build --release -p rocqet-server -p rocqet-load)

run() {
  local mode=$1 rep=$2; shift 2
  PORT=$((PORT + 1))
  mkdir -p "$SCRATCH/$PORT"
  "$ROOT/target/release/rocqet" serve --listen "127.0.0.1:$PORT" \
    --database-url "sqlite://$SCRATCH/$PORT/bench.db" --data-dir "$SCRATCH/$PORT" "$@" \
    >"$SCRATCH/$PORT.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
  local file="$OUT/$STAMP-stall-$mode-r$rep.json"
  timeout 90 "$ROOT/target/release/rocqet-load" fanout --docs 1 --clients 50 --writers 5 --rate 10 \
    --seconds "$RUN_SECONDS" --url "ws://127.0.0.1:$PORT" --server-pid "$SERVER_PID" \
    --label "stall/$mode/r$rep" --out "$file" >/dev/null
  curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^rocqet_versions_cut_total|^rocqet_version_cut_room_seconds_(sum|count)' \
    | sed "s/^/$mode r$rep: /" >&2 || true
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  echo "$mode r$rep: $(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); l=r.get("latency_ms",r); print({k:l[k] for k in ("p50","p99","p999","max") if k in l})' "$file")"
}

for rep in $(seq "$REPS"); do
  if (( rep % 2 )); then
    run default "$rep"; run cutting "$rep" --version-quiet-secs 0 --version-max-interval-secs 0 --snapshot-every 1
  else
    run cutting "$rep" --version-quiet-secs 0 --version-max-interval-secs 0 --snapshot-every 1; run default "$rep"
  fi
done
