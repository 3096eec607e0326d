#!/usr/bin/env bash
# tools/bench/ab.sh REF WORKLOAD...: the app at git REF (A) beside the working tree (B), both
# warm on the same data, measured in alternating cells so both see the same machine load.
#   For each of BENCH_ROUNDS rounds (default 4) and each workload (W1..W9 as in make bench),
#   wrk -t2 -c32 runs BENCH_DURATION s (default 5) against A and against B, in an order that
#   alternates by round. Per cell: req/s, p99 and the app's CPU per request (both workers, from
#   /proc) and how wrk's 32 connections fell on the two workers (one worker accepts from the
#   shared socket as fast as it can, so a run may put all 32 on one worker: docs/benchmarks.md,
#   "Warm path (session 4)"); then per workload the medians and B's CPU per request over A's.
#   A is REF's tree (git archive) under .bench/ab-ref, imported through PYTHONPATH by the same
#   venv, so REF must take the same dependencies as the working tree.
# Env: BENCH_DURATION, BENCH_ROUNDS, AB_MODE=cold (EEDRAWS_CACHE=off for both), AB_ENV_B="VAR=value
#      ..." (B's environment only: compare a setting with REF = HEAD), BENCH_LATENCY=1 (wrk
#      --latency: p99 from its histogram, as make bench prints it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

REF=${1:?usage: ab.sh REF W1 [W2 ...]}
shift
[ $# -gt 0 ] || die "usage: ab.sh REF W1 [W2 ...]"
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-4}
ensure_tools
prune_pg_handles
RUN=$BENCH_HOME/run-ab
REF_TREE=$BENCH_HOME/ab-ref
rm -rf "$RUN" "$REF_TREE"
mkdir -p "$RUN" "$REF_TREE"
git -C "$ROOT" archive "$REF" api sql | tar -x -C "$REF_TREE"

cpu_ms() {
  local p total=0 hz
  hz=$(getconf CLK_TCK)
  for p in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo $((total * 1000 / hz))
}

# worker_split PORT PID...: how many of the established connections to PORT each worker holds.
worker_split() {
  local port=$1 p counts=()
  shift
  for p in "$@"; do
    counts+=("$(ss -tnpH state established "( sport = :$port )" | grep -c "pid=$p," || true)")
  done
  (IFS=/; echo "${counts[*]}")
}

cleanup() { stop_bg a; stop_bg b; }
trap cleanup EXIT
trap 'exit 130' INT TERM

ingest_bench_data "$(data_source)"
extra=()
[ "${AB_MODE:-warm}" = cold ] && extra=(EEDRAWS_CACHE=off)
declare -A port
port[a]=$(free_port)
start_app a "${port[a]}" EEDRAWS_DATA_DIR="$BENCH_HOME/data" \
  PYTHONPATH="$REF_TREE${PYTHONPATH:+:$PYTHONPATH}" "${extra[@]}"
port[b]=$(free_port)
read -r -a env_b <<<"${AB_ENV_B:-}"
start_app b "${port[b]}" EEDRAWS_DATA_DIR="$BENCH_HOME/data" "${extra[@]}" "${env_b[@]}"
wait_ready a "http://127.0.0.1:${port[a]}/v1/status"
wait_ready b "http://127.0.0.1:${port[b]}/v1/status"
declare -A workers
for side in a b; do
  workers[$side]=$(worker_pids "$(cat "$RUN/$side.pid")" | tr '\n' ' ')
  [ -n "${workers[$side]}" ] || die "found no worker of $side"
  log "$side: workers ${workers[$side]}"
done
# The workloads' paths and POST bodies, as make bench finds them: every workload asked of both
# (so both have made the same answers, charts included, before the first cell).
"$PY" "$BENCH_SRC/record.py" "http://127.0.0.1:${port[b]}" "http://127.0.0.1:${port[a]}" "$RUN" \
  "$(free_port)" 2>/dev/null

results=$RUN/cells.tsv
: >"$results"
for round in $(seq "$ROUNDS"); do
  order="a b"
  [ $((round % 2)) = 0 ] && order="b a"
  for w in "$@"; do
    row=$(awk -F'\t' -v w="$w" '$1 == w' "$RUN/workloads.tsv")
    [ -n "$row" ] || die "no workload $w"
    IFS=$'\t' read -r _ _ path _ _ _ body <<<"$row"
    export WRK_BODY_FILE='' WRK_IF_NONE_MATCH=''
    [ "$body" != - ] && WRK_BODY_FILE=$body
    for side in $order; do
      url="http://127.0.0.1:${port[$side]}$path"
      WRK_QUIET=1 wrk -t2 -c32 -d1s -s "$BENCH_SRC/wrk.lua" "$url" >/dev/null 2>&1 || true
      # shellcheck disable=SC2086
      before=$(cpu_ms ${workers[$side]})
      wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_SRC/wrk.lua" "$url" \
        >"$RUN/wrk.log" 2>&1 &
      sleep "$(awk -v d="$DURATION" 'BEGIN {print d / 2}')"
      # shellcheck disable=SC2086
      split=$(worker_split "${port[$side]}" ${workers[$side]})
      wait $! || true
      # shellcheck disable=SC2086
      after=$(cpu_ms ${workers[$side]})
      out=$(grep '^RESULT ' "$RUN/wrk.log" || echo 'RESULT 0 0 0 0 0 0')
      read -r _ rps _ p99 errors _ requests <<<"$out"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$w" "$side" "$rps" "$p99" \
        "$((after - before))" "$requests" "$split" >>"$results"
      log "round $round $w $side: $rps req/s, p99 $p99 ms, $errors errors, wrk's connections" \
        "per worker $split"
    done
  done
done

"$PY" - "$results" "$REF" <<'PYTHON'
import statistics
import sys
from collections import defaultdict

cells = defaultdict(list)
for line in open(sys.argv[1]):
    _, w, side, rps, p99, cpu_ms, requests, _split = line.rstrip("\n").split("\t")
    us = 1000 * int(cpu_ms) / max(int(requests), 1)
    cells[(w, side)].append((float(rps), float(p99), us))
print(f"A = {sys.argv[2]}, B = the working tree; medians of {len(next(iter(cells.values())))} cells")
print()
print("| workload | A req/s | B req/s | B/A req/s | A p99 ms | B p99 ms | A µs/req | B µs/req | B/A CPU |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for w in dict.fromkeys(w for w, _ in cells):
    a, b = cells[(w, "a")], cells[(w, "b")]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"| {w} | {med(a, 0):,.0f} | {med(b, 0):,.0f} | {med(b, 0) / med(a, 0):.2f} | "
          f"{med(a, 1):.2f} | {med(b, 1):.2f} | {med(a, 2):.1f} | {med(b, 2):.1f} | "
          f"{med(b, 2) / med(a, 2):.2f} |")
PYTHON
