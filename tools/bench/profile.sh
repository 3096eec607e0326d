#!/usr/bin/env bash
# tools/bench/profile.sh MODE WORKLOAD...: where one worker's time goes under make bench's load.
#   MODE: warm or cold (EEDRAWS_CACHE=off); WORKLOAD: W1..W9 as in make bench.
#   `eedraws serve --workers 2` on the bench data; for each workload wrk -t2 -c32 runs for
#   BENCH_DURATION + 6 s while py-spy samples one granian worker for BENCH_DURATION s (200 Hz):
#   .bench/profile/MODE-W.txt (collapsed stacks: flamegraph.pl or inferno draw them), and a
#   summary of the most expensive frames on stdout (profile_summary.py).
# py-spy is not a project dependency: it lives in .bench/venv-pyspy, made on first use.
# Env: BENCH_DURATION (seconds sampled, default 10), PROFILE_NATIVE=1 (py-spy --native: C, Cython
#      and Rust frames too), PROFILE_SAMPLER=off (no py-spy: only the CPU per request),
#      PROFILE_SAMPLER=perf (Linux perf instead of py-spy, kernel included: .bench/profile/
#      MODE-W.perf and its costliest symbols; shows the thread switches between granian's
#      Rust threads and the event loop, which py-spy cannot see).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MODE=${1:?usage: profile.sh warm|cold W1 [W2 ...]}
shift
[ $# -gt 0 ] || die "usage: profile.sh warm|cold W1 [W2 ...]"
DURATION=${BENCH_DURATION:-10}
PYSPY=$BENCH_HOME/venv-pyspy/bin/py-spy
ensure_tools
prune_pg_handles
if [ ! -x "$PYSPY" ]; then
  log "making $BENCH_HOME/venv-pyspy (py-spy)"
  "$PY" -m venv "$BENCH_HOME/venv-pyspy"
  "$BENCH_HOME/venv-pyspy/bin/python" -m pip install --quiet py-spy >&2
fi
RUN=$BENCH_HOME/run-profile
OUT=$BENCH_HOME/profile
rm -rf "$RUN"
mkdir -p "$RUN" "$OUT"

# pg_pids: the embedded PostgreSQL of .bench/data: its postmaster and every backend.
pg_pids() {
  local master
  master=$(head -1 "$BENCH_HOME/data/pg/postmaster.pid" 2>/dev/null) || return 0
  echo "$master"
  pgrep -P "$master" || true
}

# cpu_ms PID...: user + system CPU time of the PIDs (all their threads), in ms.
cpu_ms() {
  local p total=0 ticks hz
  hz=$(getconf CLK_TCK)
  for p in "$@"; do
    ticks=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + ${ticks:-0}))
  done
  echo $((total * 1000 / hz))
}

PROFILE_NATIVE=${PROFILE_NATIVE:+--native}
wrk_pid=
cleanup() {
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null || true
  stop_bg app
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ingest_bench_data "$(data_source)"
port=$(free_port)
case "$MODE" in
  warm) start_app app "$port" EEDRAWS_DATA_DIR="$BENCH_HOME/data" ;;
  cold) start_app app "$port" EEDRAWS_DATA_DIR="$BENCH_HOME/data" EEDRAWS_CACHE=off ;;
  *) die "MODE is warm or cold, not $MODE" ;;
esac
wait_ready app "http://127.0.0.1:$port/v1/status"
mapfile -t workers < <(worker_pids "$(cat "$RUN/app.pid")")
[ ${#workers[@]} -gt 0 ] || die "found no worker of the app"
worker=${workers[0]}
"$PY" "$BENCH_SRC/record.py" "http://127.0.0.1:$port" "http://127.0.0.1:$port" "$RUN" \
  "$(free_port)" 2>/dev/null

for w in "$@"; do
  row=$(awk -F'\t' -v w="$w" '$1 == w' "$RUN/workloads.tsv")
  [ -n "$row" ] || die "no workload $w"
  IFS=$'\t' read -r _ _ path _ _ _ body <<<"$row"
  export WRK_BODY_FILE='' WRK_IF_NONE_MATCH=''
  [ "$body" != - ] && WRK_BODY_FILE=$body
  wrk -t2 -c32 -d"$((DURATION + 6))s" --timeout 10s -s "$BENCH_SRC/wrk.lua" \
    "http://127.0.0.1:$port$path" >"$RUN/wrk-$w.log" 2>&1 &
  wrk_pid=$!
  sleep 2
  mapfile -t pg < <(pg_pids)
  before=("$(cpu_ms "${workers[@]}")" "$(cpu_ms "${pg[@]}")" "$(cpu_ms "$wrk_pid")")
  started=$(date +%s%N)
  if [ "${PROFILE_SAMPLER:-on}" = off ]; then sleep "$DURATION"
  elif [ "${PROFILE_SAMPLER:-on}" = perf ]; then
    perf record -q -F 499 -g -p "$worker" -o "$OUT/$MODE-$w.perf" -- sleep "$DURATION" \
      >/dev/null 2>&1
  else
    "$PYSPY" record -r 200 -d "$DURATION" -p "$worker" -f raw -o "$OUT/$MODE-$w.txt" \
      $PROFILE_NATIVE >/dev/null 2>&1
  fi
  elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  mapfile -t pg < <(pg_pids)
  after=("$(cpu_ms "${workers[@]}")" "$(cpu_ms "${pg[@]}")" "$(cpu_ms "$wrk_pid")")
  wait "$wrk_pid" || true
  wrk_pid=
  read -r rps p50 p99 _ < <(grep '^RESULT ' "$RUN/wrk-$w.log" | cut -d' ' -f2- || echo '? ? ?')
  echo "## $MODE $w: $path (worker $worker, ${DURATION} s; py-spy ${PROFILE_SAMPLER:-on} at 200 Hz:" \
    "$rps req/s, p50 $p50 ms, p99 $p99 ms)"
  # CPU per request in the window, from /proc (PostgreSQL: every process of the embedded server,
  # those that ended in the window excepted; wrk: its own threads).
  "$PY" - "$rps" "$elapsed_ms" "${before[@]}" "${after[@]}" <<'PYTHON'
import sys
rps, ms = float(sys.argv[1]), int(sys.argv[2])
b, a = [int(x) for x in sys.argv[3:6]], [int(x) for x in sys.argv[6:9]]
n = rps * ms / 1000
names = ("app workers (both)", "PostgreSQL", "wrk")
parts = [f"{name} {1000 * (y - x) / n:.0f} µs" for name, x, y in zip(names, b, a)]
print(f"CPU per request over {ms / 1000:.1f} s (~{n:,.0f} requests, 2 cores = "
      f"{2000 * ms / n:.0f} µs per request): " + ", ".join(parts))
print()
PYTHON
  case "${PROFILE_SAMPLER:-on}" in
    off) ;;
    perf) perf report -i "$OUT/$MODE-$w.perf" --no-children --sort dso,sym --stdio 2>/dev/null \
            | grep -E '^ +[0-9]' | head -40 ;;
    *) "$PY" "$BENCH_SRC/profile_summary.py" "$OUT/$MODE-$w.txt" ;;
  esac
  echo
done
