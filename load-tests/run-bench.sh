#!/usr/bin/env bash
# Issue 6's benchmark matrix: Rocqet Hub vs @y/websocket-server vs Hocuspocus,
# loopback only, servers alternated, every server started fresh per run; then
# `rocqet-load report` draws the charts and writes the tables.
#
#   load-tests/run-bench.sh                 # REPS=2, 20 s runs, ~20 min
#   REPS=1 RUN_SECONDS=10 load-tests/run-bench.sh
#   ONLY="connect fanout1" load-tests/run-bench.sh
#
# Scenarios (ONLY picks some):
#   connect     10,000 idle conns over 100 docs
#   connsweep   the same at CONN_COUNTS connections (memory-vs-connections chart)
#   fanout1     1 doc x 50 clients x 5 writers x 10/s
#   fanload     fanout1 at LOAD_RATES/s, SWEEP_SECONDS each (latency-vs-load chart)
#   fanout100   100 docs x 10 clients x 2 writers x 5/s
#   ack         PostgreSQL, 100 docs, 1,000 updates/s
#   burst       BURST_CLIENTS clients x BURST_UPDATES updates, as fast as they go;
#               rocqet with its per-connection limits raised (updates/s, outbox),
#               and rocqet-defaults with the shipped limits
#   durability  rocqet on SQLite and on PostgreSQL, KILLS SIGKILLs per run
#   cold        cold-load on SQLite and PostgreSQL, COLD_SAMPLES restarts (first rep only)
# Results (RESULTS overrides load-tests/results):
# load-tests/results/<date>/<time>-<scenario>-<server>-r<rep>.json,
# one JSON line each; a summary table at the end; charts and markdown tables
# in load-tests/results/<date>/report-<time>/.
#
# Needs: cargo, node + npm, and for ack/durability/cold a PostgreSQL reachable
# as postgres@127.0.0.1:5432 (createdb/dropdb; PGHOST/PGUSER/PGPORT override).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-2}
RUN_SECONDS=${RUN_SECONDS:-20}
ONLY=${ONLY:-"connect connsweep fanout1 fanload fanout100 ack burst durability cold"}
BASE_PORT=${BASE_PORT:-18400}
SWEEP_SECONDS=${SWEEP_SECONDS:-10}
LOAD_RATES=${LOAD_RATES:-"50 100 200"}
CONN_COUNTS=${CONN_COUNTS:-"1000 2500 5000"}
BURST_CLIENTS=${BURST_CLIENTS:-20}
BURST_UPDATES=${BURST_UPDATES:-2000}
KILLS=${KILLS:-20}
COLD_SAMPLES=${COLD_SAMPLES:-20}
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} PGPORT=${PGPORT:-5432}
(( RUN_SECONDS <= 55 && SWEEP_SECONDS <= 55 )) || { echo "RUN_SECONDS and SWEEP_SECONDS must be <= 55 (runs stay under 60 s)" >&2; exit 2; }

DAY=$(date +%F)
STAMP=$(date +%H%M%S)
OUT="${RESULTS:-$HERE/results}/$DAY"
mkdir -p "$OUT"
SCRATCH=$(mktemp -d)
LOAD="$ROOT/target/release/rocqet-load"
ROCQET="$ROOT/target/release/rocqet"
SERVER_PID="" PGDB="" PORT=$BASE_PORT
# Settings for the next rocqet started (burst raises its per-connection limits).
SERVER_ENV=()

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  if [[ -n $PGDB ]]; then
    dropdb --if-exists "$PGDB" || true
    PGDB=""
  fi
}
trap 'stop_server; rm -rf "$SCRATCH"' EXIT

# start_server rocqet|rocqet-defaults|rocqet-pg|yws|hocuspocus: fresh process
# on a fresh port (and a fresh database); sets SERVER_PID and URL.
start_server() {
  local kind=$1
  PORT=$((PORT + 1))
  local logf="$SCRATCH/$kind-$PORT.log"
  case $kind in
    rocqet|rocqet-defaults)
      mkdir -p "$SCRATCH/db-$PORT"
      env ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} "$ROCQET" serve --listen "127.0.0.1:$PORT" \
        --database-url "sqlite://$SCRATCH/db-$PORT/bench.db" --data-dir "$SCRATCH/db-$PORT" >"$logf" 2>&1 &
      ;;
    rocqet-pg)
      PGDB="rocqet_bench_$$_$PORT"
      createdb "$PGDB"
      env ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} "$ROCQET" serve --listen "127.0.0.1:$PORT" \
        --database-url "postgres://$PGUSER@$PGHOST:$PGPORT/$PGDB" --data-dir "$SCRATCH" >"$logf" 2>&1 &
      ;;
    yws) node "$HERE/peers/yws.mjs" "$PORT" >"$logf" 2>&1 & ;;
    hocuspocus) node "$HERE/peers/hocuspocus.mjs" "$PORT" >"$logf" 2>&1 & ;;
  esac
  SERVER_PID=$!
  URL="ws://127.0.0.1:$PORT"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "server $kind did not start:"; cat "$logf" >&2; return 1
}

# run SCENARIO SERVER REP -- rocqet-load args...: one bounded run, one JSON file.
run() {
  local scenario=$1 server=$2 rep=$3; shift 4
  local target=${server%%-*}
  local file="$OUT/$STAMP-$scenario-$server-r$rep.json"
  start_server "$server"
  log "$scenario on $server (rep $rep)"
  timeout 90 "$LOAD" "$@" --target "$target" --url "$URL" --server-pid "$SERVER_PID" \
    --label "$scenario/$server/r$rep" --out "$file" >/dev/null \
    || log "  $scenario on $server failed (exit $?)"
  if [[ $target == rocqet ]]; then
    curl -s "http://127.0.0.1:$PORT/metrics" >"$OUT/$STAMP-$scenario-$server-r$rep.metrics.txt" || true
  fi
  stop_server
}

# run_self SCENARIO BACKEND REP -- rocqet-load args...: a scenario that starts
# (and kills) the rocqet server itself, on a fresh SQLite file or PostgreSQL database.
run_self() {
  local scenario=$1 backend=$2 rep=$3; shift 4
  local file="$OUT/$STAMP-$scenario-rocqet-$backend-r$rep.json" url
  PORT=$((PORT + 1))
  mkdir -p "$SCRATCH/self-$PORT"
  if [[ $backend == pg ]]; then
    PGDB="rocqet_bench_$$_$PORT"
    createdb "$PGDB"
    url="postgres://$PGUSER@$PGHOST:$PGPORT/$PGDB"
  else
    url="sqlite://$SCRATCH/self-$PORT/bench.db"
  fi
  log "$scenario on rocqet-$backend (rep $rep)"
  timeout 420 "$LOAD" "$@" --server-bin "$ROCQET" --database-url "$url" \
    --data-dir "$SCRATCH/self-$PORT" --label "$scenario/rocqet-$backend/r$rep" --out "$file" >/dev/null \
    || log "  $scenario on rocqet-$backend failed (exit $?); server log: $SCRATCH/self-$PORT/rocqet.log"
  # A generator stopped by `timeout` cannot stop the server it started.
  if [[ -f $SCRATCH/self-$PORT/rocqet.pid ]]; then
    SERVER_PID=$(cat "$SCRATCH/self-$PORT/rocqet.pid")
    kill -0 "$SERVER_PID" 2>/dev/null || SERVER_PID=""
  fi
  stop_server
}

# Servers in alternating order: odd reps forwards, even reps backwards.
order() { if (( $1 % 2 )); then echo "$2"; else echo "$2" | tr ' ' '\n' | tac | tr '\n' ' '; fi; }

wants() { [[ " $ONLY " == *" $1 "* ]]; }

log "building (release)"
(cd "$ROOT" && cargo build --release -p rocqet-server -p rocqet-load)
log "installing peers"
(cd "$HERE/peers" && npm ci --no-audit --no-fund --loglevel=error)
ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) >= 20500 )) || log "warning: open-file limit $(ulimit -n); 10,000 connections need ~10,100 per process"

started=$SECONDS
for rep in $(seq "$REPS"); do
  if wants connect; then
    for s in $(order "$rep" "rocqet yws hocuspocus"); do
      run connect "$s" "$rep" -- connect --docs 100 --conns 10000 --hold 5 --max-seconds 40
    done
  fi
  if wants connsweep; then
    for n in $CONN_COUNTS; do
      for s in $(order "$rep" "rocqet yws hocuspocus"); do
        run "connect$n" "$s" "$rep" -- connect --docs 100 --conns "$n" --hold 5 --max-seconds 40
      done
    done
  fi
  if wants fanout1; then
    for s in $(order "$rep" "rocqet yws hocuspocus"); do
      run fanout1 "$s" "$rep" -- fanout --docs 1 --clients 50 --writers 5 --rate 10 --seconds "$RUN_SECONDS"
    done
  fi
  if wants fanload; then
    for r in $LOAD_RATES; do
      for s in $(order "$rep" "rocqet yws hocuspocus"); do
        run "fanload$r" "$s" "$rep" -- fanout --docs 1 --clients 50 --writers 5 --rate "$r" --seconds "$SWEEP_SECONDS"
      done
    done
  fi
  if wants fanout100; then
    for s in $(order "$rep" "rocqet yws hocuspocus"); do
      run fanout100 "$s" "$rep" -- fanout --docs 100 --clients 10 --writers 2 --rate 5 --seconds "$RUN_SECONDS"
    done
  fi
  if wants ack; then
    # Hocuspocus' [8][1] means "applied in memory": a reference, not a peer figure.
    for s in $(order "$rep" "rocqet-pg hocuspocus"); do
      run ack "$s" "$rep" -- ack --docs 100 --rate 1000 --seconds "$RUN_SECONDS"
    done
  fi
  if wants burst; then
    # Rocqet refuses a client's 2,001st update within a second (4429 beyond twice
    # --updates-per-sec 500) and drops a socket 1,024 frames behind (1013): the
    # peers have neither limit, so "rocqet" runs with both raised and
    # "rocqet-defaults" shows what the shipped limits do to this load.
    for s in $(order "$rep" "rocqet rocqet-defaults yws hocuspocus"); do
      if [[ $s == rocqet ]]; then SERVER_ENV=(ROCQET_UPDATES_PER_SEC=1000000 ROCQET_OUTBOX_FRAMES=100000); fi
      run burst "$s" "$rep" -- burst --clients "$BURST_CLIENTS" --updates "$BURST_UPDATES" --max-seconds 60
      SERVER_ENV=()
    done
  fi
  if wants durability; then
    # Rocqet only: the peers do not ack durably (see the README).
    for b in $(order "$rep" "sqlite pg"); do
      run_self durability "$b" "$rep" -- durability --kills "$KILLS" --max-seconds 400
    done
  fi
  if wants cold && (( rep == 1 )); then
    for b in sqlite pg; do
      run_self cold "$b" "$rep" -- cold-load --samples "$COLD_SAMPLES" --max-seconds 400
    done
  fi
done
log "matrix done in $((SECONDS - started)) s; results in $OUT"

# Summary per scenario and server: the median over reps (every run's value
# listed), and the last run's detail.
jq -rs '
  def med: sort | length as $n | if $n == 0 then null
    elif $n % 2 == 1 then .[($n - 1) / 2]
    else ((.[$n / 2 - 1] + .[$n / 2]) / 2 * 100 | round / 100) end;
  def fig:
    if .cmd == "connect" then {key: "KiB/conn", v: .kib_per_conn, extra: "connect+sync p99 \(.connect_sync.p99_ms) ms; held \(.held)/\(.conns); RSS \(.rss_before_kib)->\(.rss_after_kib) KiB"}
    elif .cmd == "fanout" then {key: "e2e p99 ms", v: .latency.p99_ms, extra: "p50 \(.latency.p50_ms) p999 \(.latency.p999_ms) max \(.latency.max_ms); recv \(.deliveries_received)/\(.deliveries_expected); converged \(.converged_clients)/\(.total_clients); server cpu \(.server_cpu_pct)%"}
    elif .cmd == "burst" then {key: "deliveries/s", v: .deliveries_per_s, extra: "converged after \(.converge_s) s; sent \(.sent_per_s)/s; recv \(.deliveries_received)/\(.deliveries_expected); server state complete \(.server_state_complete); errors \(.errors | add // 0)"}
    elif .cmd == "durability" then {key: "acked lost", v: .acked_lost, extra: "\(.kills) kills (seed \(.seed)); acked \(.acked)/\(.updates_sent); unacked at kill \(.unacked_at_kill): \(.unacked_persisted) stored, \(.unacked_recovered) recovered, \(.unacked_lost) lost"}
    elif .cmd == "cold-load" then {key: "open p99 ms", v: .open_snapshot_tail.p99_ms, extra: "snapshot+tail p50 \(.open_snapshot_tail.p50_ms); versions doc p99 \(.open_many_versions.p99_ms); compacted p99 \(.open_compacted.p99_ms); v1 p99 \(.read_version_1.p99_ms); latest p99 \(.read_version_latest.p99_ms) ms"}
    else {key: "ack p99 ms", v: .ack_latency.p99_ms, extra: "p50 \(.ack_latency.p50_ms) max \(.ack_latency.max_ms); acked \(.acked)/\(.updates_sent) at \(.updates_per_s)/s; server cpu \(.server_cpu_pct)%"} end;
  map(. + {scenario: (.label | split("/")[0]), server: (.label | split("/")[1])})
  | group_by(.scenario + .server)[]
  | "\(.[0].scenario)\t\(.[0].server)\t\(.[0] | fig.key)\t\(map(fig.v) | med)\t[\(map(fig.v | tostring) | join(" "))]\t\(.[-1] | fig.extra)"
' "$OUT"/$STAMP-*.json | column -t -s $'\t'
echo "goals (rocqet): KiB/conn at 10,000 <= half the best peer's; fanout1/fanout100 p99 <= 2 ms and below both peers; burst >= 3x Hocuspocus' deliveries/s and converged in < 1/3 of its time; durability: 0 acked lost"

# Charts (SVG) and markdown tables for BENCHMARKS.md.
"$LOAD" report "$OUT" --stamp "$STAMP" --out-dir "$OUT/report-$STAMP" >/dev/null \
  && log "charts and tables in $OUT/report-$STAMP/" \
  || log "report failed"
