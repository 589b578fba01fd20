#!/usr/bin/env bash
# Scale-out benchmark (issue 7): Rocqet Hub on 1 node vs 3 nodes sharing one
# PostgreSQL and one Redis, loopback only, fresh database and processes per run.
#
#   load-tests/run-cluster.sh                   # REPS=2, 20 s runs (~6 min)
#   REPS=1 RUN_SECONDS=10 load-tests/run-cluster.sh
#
# Runs, alternating 1 and 3 nodes:
#   spread  100 docs x 10 clients x 2 writers x 5/s: p99 for receivers on the
#           writer's node vs on another node (the cross-node extra latency);
#   heavy   100 docs x 10 clients x 2 writers x R/s for each R in HEAVY_RATES
#           (default 25; e.g. HEAVY_RATES="25 50 100" to find where each saturates):
#           sustained deliveries and
#           p99 on 1 node vs 3 nodes (throughput; the machine has 2 cores).
# Results: load-tests/results/<date>/<time>-cluster-<load>-<n>node-r<rep>.json, and
# beside each a .cpu file: CPU seconds the nodes, PostgreSQL and Redis used in the run.
#
# Needs: cargo, PostgreSQL as postgres@127.0.0.1:5432 (createdb/dropdb) and Redis on
# 127.0.0.1:6379 (REDIS_URL overrides).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-2}
RUN_SECONDS=${RUN_SECONDS:-20}
BASE_PORT=${BASE_PORT:-18600}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGPORT=${PGPORT:-5432}
(( RUN_SECONDS <= 55 )) || { echo "RUN_SECONDS must be <= 55" >&2; exit 2; }

DAY=$(date +%F)
STAMP=$(date +%H%M%S)
OUT="$HERE/results/$DAY"
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)
LOAD="$ROOT/target/release/rocqet-load"
ROCQET=${ROCQET:-$ROOT/target/release/rocqet}   # override to compare builds
PIDS=() PGDB="" PORT=$BASE_PORT URLS=()

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

stop_nodes() {
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=() URLS=()
  if [[ -n $PGDB ]]; then dropdb --if-exists "$PGDB" || true; PGDB=""; fi
}
trap 'stop_nodes; rm -rf "$SCRATCH"' EXIT

# start_nodes N: N fresh nodes on one fresh database and one fresh channel prefix.
start_nodes() {
  local count=$1
  PGDB="rocqet_cluster_$$_$PORT"
  createdb "$PGDB"
  local prefix="bench-$$-$PORT"
  for _ in $(seq "$count"); do
    PORT=$((PORT + 1))
    "$ROCQET" serve --listen "127.0.0.1:$PORT" --log warn \
      --database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$PGDB" --data-dir "$SCRATCH" \
      --redis-url "$REDIS_URL" --redis-prefix "$prefix" >"$SCRATCH/node-$PORT.log" 2>&1 &
    PIDS+=($!)
    URLS+=("ws://127.0.0.1:$PORT")
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$PORT/readyz" && continue 2
      sleep 0.1
    done
    log "node on $PORT did not start:"; cat "$SCRATCH/node-$PORT.log" >&2; return 1
  done
}

# CPU clock ticks (user + system) used so far by the given pids.
ticks() {
  local total=0 pid
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# run LOAD NODES REP RATE
run() {
  local load=$1 nodes=$2 rep=$3 rate=$4
  local file="$OUT/$STAMP-cluster-$load-${nodes}node-r$rep.json"
  start_nodes "$nodes"
  local extra=()
  if (( nodes > 1 )); then extra=(--nodes "$(IFS=,; echo "${URLS[*]:1}")"); fi
  log "$load on $nodes node(s) (rep $rep)"
  local pg redis before_nodes before_pg before_redis
  pg=$(pgrep -x postgres || true) redis=$(pgrep -x redis-server || true)
  before_nodes=$(ticks "${PIDS[@]}") before_pg=$(ticks $pg) before_redis=$(ticks $redis)
  "$LOAD" fanout --target rocqet --url "${URLS[0]}" --docs 100 --clients 10 --writers 2 \
    --rate "$rate" --seconds "$RUN_SECONDS" --label "cluster-$load-${nodes}node" \
    ${extra[@]+"${extra[@]}"} >"$file"
  pg=$(pgrep -x postgres || true)
  local hz; hz=$(getconf CLK_TCK)
  awk -v n="$(( $(ticks "${PIDS[@]}") - before_nodes ))" \
      -v p="$(( $(ticks $pg) - before_pg ))" -v r="$(( $(ticks $redis) - before_redis ))" -v hz="$hz" \
      'BEGIN { printf "nodes %.1f s, postgres %.1f s, redis %.1f s\n", n / hz, p / hz, r / hz }' \
      >"${file%.json}.cpu"
  stop_nodes
}

log "building release binaries"
(cd "$ROOT" && cargo build --release -q -p rocqet-server -p rocqet-load)
for rep in $(seq "$REPS"); do
  for nodes in $( (( rep % 2 )) && echo "1 3" || echo "3 1"); do
    [[ ${ONLY:-spread heavy} == *spread* ]] && run spread "$nodes" "$rep" 5
    if [[ ${ONLY:-spread heavy} == *heavy* ]]; then
      for rate in ${HEAVY_RATES:-25}; do
        if [[ $rate == 25 ]]; then run heavy "$nodes" "$rep" 25; else run "heavy$rate" "$nodes" "$rep" "$rate"; fi
      done
    fi
  done
done

log "results in $OUT ($STAMP-cluster-*)"
for f in "$OUT/$STAMP"-cluster-*.json; do
  python3 - "$f" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
lat, split = r["latency"], r.get("latency_by_node") or {}
row = f'{r["label"]:<22} p50 {lat.get("p50_ms")} p99 {lat.get("p99_ms")} ms; deliveries {r["deliveries_received"]}/{r["deliveries_expected"]}; server CPU {r.get("server_cpu_pct")}%'
if split:
    row += f'; same-node p99 {split["same_node"].get("p99_ms")} cross-node p99 {split["cross_node"].get("p99_ms")} ms'
cpu = sys.argv[1][:-len(".json")] + ".cpu"
try:
    row += "; CPU " + open(cpu).read().strip()
except OSError:
    pass
print(row)
PY
done
