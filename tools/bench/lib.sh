# Shared by the bench scripts (sourced, never run): paths, tools, and starting/stopping the app.
# Every process a script starts is recorded by PID in $RUN/*.pid and stopped by that PID only.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_SRC=$ROOT/tools/bench
BENCH_HOME=$ROOT/.bench          # gitignored: data dirs, run state, logs, results
PY=$ROOT/.venv/bin/python
EEDRAWS=$ROOT/.venv/bin/eedraws
# ../shared beside the checkout; from a git worktree (/work/wt/NAME), the nearest ancestor's.
SHARED=$ROOT/../shared
for _dir in "$ROOT/.." "$ROOT/../.." "$ROOT/../../.."; do
  [ -d "$_dir/shared/bench" ] && { SHARED=$(cd "$_dir/shared" && pwd); break; }
done
unset _dir
REAL_DATA=$SHARED/data/ircc/ee_rounds_123_en.2026-04-21.json
SEED_DATA=$ROOT/api/ingest/seed/ee_rounds_123_en.json.gz

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# wrk and nginx from Debian's packages when missing: apt-get as root, never sudo.
ensure_tools() {
  local pkgs=()
  command -v wrk >/dev/null || pkgs+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || pkgs+=(nginx)
  command -v curl >/dev/null || pkgs+=(curl)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "needs ${pkgs[*]}: run as root (apt-get install -y ${pkgs[*]})"
  log "installing ${pkgs[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

# The rounds file the bench loads: IRCC's real file from ../shared, else the packaged seed
# (the same 2026-04-21 file, gzipped).
data_source() {
  if [ -f "$REAL_DATA" ]; then
    echo "$REAL_DATA"
  else
    log "$REAL_DATA is absent: using the packaged seed $SEED_DATA (same data)"
    echo "$SEED_DATA"
  fi
}

# ingest_bench_data SOURCE: make the bench store hold exactly SOURCE (a no-op when it already
# does: an unchanged file changes nothing). Uses the embedded servers in $BENCH_HOME/data.
ingest_bench_data() {
  EEDRAWS_DATA_DIR=$BENCH_HOME/data "$EEDRAWS" ingest "$1" >&2
}

# prune_pg_handles: forget processes that died holding the embedded PostgreSQL of .bench/data.
# pgserver stops the server when its last holder exits, counting holders in a PID list; a holder
# that dies without cleaning up (SIGKILL, or a crash before `eedraws serve` unwinds its context
# managers) stays listed, and the server would then never be stopped again.
prune_pg_handles() {
  local list=$BENCH_HOME/data/pg/.handle_pids.json
  [ -f "$list" ] || return 0
  "$PY" - "$list" <<'PYTHON'
import json, os, sys
path = sys.argv[1]
pids = json.load(open(path))
alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
if alive != pids:
    json.dump(alive, open(path, "w"))
    print(f"bench: forgot dead holders of the embedded PostgreSQL: {sorted(set(pids) - set(alive))}",
          file=sys.stderr)
PYTHON
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_bg NAME CMD...: run CMD in its own session (so Ctrl-C reaches only us and our trap), log
# to $RUN/NAME.log, PID to $RUN/NAME.pid.
start_bg() {
  local name=$1; shift
  setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# stop_bg NAME: TERM the recorded PID and wait; KILL its session only if it ignores TERM.
# `eedraws serve` stops its granian workers, then the embedded PostgreSQL/Redis it started.
stop_bg() {
  local f="$RUN/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 ($pid) ignored TERM for 30 s: killing its session"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

# start_app NAME PORT [VAR=value ...]: `eedraws serve --workers 2` on loopback with the bench's
# environment plus the given variables.
start_app() {
  local name=$1 port=$2; shift 2
  start_bg "$name" env EEDRAWS_REFRESH_INTERVAL=0 EEDRAWS_RATE_LIMIT=off "$@" \
    "$EEDRAWS" serve --host 127.0.0.1 --port "$port" --workers 2
}

# wait_ready NAME URL [SECONDS]: poll until URL answers 200; fail early if NAME died.
wait_ready() {
  local name=$1 url=$2 n=$(( ${3:-180} * 5 ))
  for _ in $(seq "$n"); do
    curl -sf -o /dev/null -m 2 "$url" && return 0
    kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || { tail -20 "$RUN/$name.log" >&2; die "$name exited"; }
    sleep 0.2
  done
  tail -20 "$RUN/$name.log" >&2
  die "$name: no answer from $url"
}

# wait_listening NAME PORT: poll until something answers HTTP on 127.0.0.1:PORT.
wait_listening() {
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$2/" || true)" != 000 ] && return 0
    sleep 0.1
  done
  cat "$RUN/$1.log" >&2
  die "$1 is not listening on port $2"
}

# worker_pids PID: the worker processes of the HTTP server PID (`eedraws serve`, or uvicorn in
# servers.sh): its Python descendants, children or grandchildren, that have no Python child of
# their own. granian forks its workers as direct children of `eedraws serve` (same command
# line); uvicorn --workers spawns them (multiprocessing spawn_main). Helpers are left out: the
# embedded Redis that `eedraws serve` may start (another executable) and multiprocessing's
# resource tracker.
worker_pids() {
  local exe p c found
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 0
  for p in $(pgrep -P "$1"); do
    is_python_worker "$p" "$exe" || continue
    found=0
    for c in $(pgrep -P "$p"); do
      is_python_worker "$c" "$exe" && { echo "$c"; found=1; }
    done
    [ $found = 1 ] || echo "$p"
  done
  return 0
}

# is_python_worker PID EXE: PID runs EXE and is not multiprocessing's resource tracker.
is_python_worker() {
  [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ] || return 1
  ! tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'resource_tracker'
}

# rss_kib PID...: VmRSS of each PID in KiB, space-separated.
rss_kib() {
  local p out=()
  for p in "$@"; do out+=("$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo '?')"); done
  echo "${out[*]}"
}

machine_line() {
  echo "nproc=$(nproc) cpu=\"$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)\"" \
    "load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}

# The measuring helpers of bench.sh and servers.sh. Both set $out (the raw results file), $RUN,
# $WARMUP and $DURATION before calling them.

# probe URL BODY_FILE ETAG -> "STATUS BYTES": the HTTP status (000 when nothing answered) and the
# size of one whole response, headers included, as wrk counts it.
probe() {
  local args=(-s -o /dev/null -m 10 -w '%{http_code} %{size_header} %{size_download}')
  [ "$2" != - ] && args+=(-X POST -H 'Content-Type: application/json' --data-binary "@$2")
  [ "$3" != - ] && args+=(-H "If-None-Match: $3")
  local header
  while IFS= read -r -d '|' header; do [ -n "$header" ] && args+=(-H "$header"); done <<<"${WRK_HEADERS:-}|"
  curl "${args[@]}" "$1" | awk '{print $1, $2 + $3}' || true
}

# emit LINE: a raw result line, to the results file and the terminal. No pipeline or $(...) around
# the cells, since bash runs its traps only between foreground commands: a TERM stops the run
# after the wrk in progress, not after a whole workload.
emit() { echo "$*" >>"$out"; echo "$*" >&2; }

# cell TARGET WORKLOAD URL EXPECTED_STATUS BODY_FILE ETAG -> emits one raw line:
#   target workload req_per_s p50_ms p99_ms errors resp_bytes requests probe_bytes
# wrk counts only statuses >= 400 as errors; a cell whose mean response size (resp_bytes) is not
# the probe's (probe_bytes) got other answers too (a 304 among 200s, or the reverse): table.py
# flags it.
cell() {
  local target=$1 w=$2 url=$3 expect=$4 body=$5 etag=$6 code bytes result split
  read -r code bytes <<<"$(probe "$url" "$body" "$etag")"
  if [ "$code" != "$expect" ]; then emit "$target $w n/a n/a n/a n/a http_$code - -"; return; fi
  export WRK_BODY_FILE='' WRK_IF_NONE_MATCH=''
  [ "$body" != - ] && WRK_BODY_FILE=$body
  [ "$etag" != - ] && WRK_IF_NONE_MATCH=$etag
  WRK_QUIET=1 wrk -t2 -c32 -d"${WARMUP}s" --timeout 10s -s "$BENCH_SRC/wrk.lua" "$url" \
    >/dev/null 2>&1 || true
  # Halfway through, how wrk's connections fell on the server's processes (sampled aside, so
  # wrk stays in the foreground).
  (sleep "$(awk -v d="$DURATION" 'BEGIN {print d / 2}')"
   connection_split "$url" >"$RUN/split-$target-$w" 2>/dev/null || true) &
  wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_SRC/wrk.lua" "$url" \
    >"$RUN/wrk-$target-$w.log" 2>&1 || true
  wait "$!" 2>/dev/null || true
  result=$(grep '^RESULT ' "$RUN/wrk-$target-$w.log" | tail -1 | cut -d' ' -f2-)
  emit "$target $w ${result:-error error error error error error} $bytes"
  split=$(cat "$RUN/split-$target-$w" 2>/dev/null || true)
  log "$target $w: wrk's 32 connections per server process: ${split:-unknown}"
  echo "$target $w ${split:-unknown}" >>"${out%.txt}.splits"
}

# connection_split URL -> how many established connections to URL's port each process holds,
# most first ("20/12"; "32" when one process holds them all). Both workers of the app accept
# from one shared socket, and wrk opens its connections at once: the split varies by cell and
# moves the figures (docs/benchmarks.md, "Warm path (session 4)").
connection_split() {
  local port=${1#http://127.0.0.1:}
  port=${port%%/*}
  command -v ss >/dev/null || return 0
  ss -tnpH state established "( sport = :$port )" | grep -o 'pid=[0-9]*' | sort | uniq -c |
    sort -rn | awk '{print $1}' | paste -sd/
}
