#!/usr/bin/env bash
# make bench-servers: the same app under granian (what `eedraws serve` runs) and under uvicorn
# (uvloop + httptools), warm and cold, beside nginx, in one run. Backs the server choice in
# api/cli.py `_serve`.
#   1. embedded_env.py holds the embedded PostgreSQL and Redis of .bench/data up (IRCC's
#      2026-04-21 file loaded); all four app servers get their URLs, so they share both.
#   2. granian: `eedraws serve --workers 2`, warm (cache on) and cold (EEDRAWS_CACHE=off).
#      uvicorn: `uvicorn --factory --workers 2 --loop uvloop --http httptools --no-access-log
#      api.app:app_from_env` with the same environment, warm and cold. uvicorn is not a project
#      dependency: it lives in .bench/venv-uvicorn (made with the project's Python, uvloop pinned
#      to .venv's version), which sees the project's own packages through a .pth file.
#   3. record.py saves granian's answers; nginx replays the same bytes (the ceiling). uvicorn's
#      answer bodies must be the same bytes (checked, warned otherwise).
#   4. W1, W2, W5, each: nginx, then the four app servers back to back, wrk -t2 -c32 as in
#      make bench. Pass by pass the order of granian and uvicorn swaps, so neither always goes
#      first.
#   5. Raw lines -> .bench/results/servers-<UTC timestamp>.txt; table with % of nginx and the
#      granian/uvicorn ratio -> stdout.
# Env: BENCH_DURATION (seconds per cell, default 10), BENCH_WARMUP (default 2),
#      BENCH_PASSES (default 1; medians across passes).
# Everything it starts is stopped on exit, failure or Ctrl-C included.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
PASSES=${BENCH_PASSES:-1}
WORKLOADS=(W1 W2 W5)
UVENV=$BENCH_HOME/venv-uvicorn
ensure_tools
prune_pg_handles
RUN=$BENCH_HOME/run-servers
rm -rf "$RUN"
mkdir -p "$RUN" "$BENCH_HOME/results"
out=$BENCH_HOME/results/servers-$(date -u +%Y%m%dT%H%M%SZ).txt

# ensure_uvicorn_venv: .bench/venv-uvicorn with uvicorn[standard]; never touches .venv.
ensure_uvicorn_venv() {
  [ -x "$UVENV/bin/uvicorn" ] && return 0
  local uvloop_version site
  log "making $UVENV (uvicorn[standard], uvloop as in .venv)"
  uvloop_version=$("$PY" -c 'import importlib.metadata as m; print(m.version("uvloop"))')
  "$PY" -m venv "$UVENV"
  "$UVENV/bin/python" -m pip install --quiet "uvicorn[standard]" "uvloop==$uvloop_version" >&2
  # The app and its dependencies come from .venv (appended after this venv's own packages, so
  # this venv's uvicorn, uvloop and httptools win).
  site=$("$UVENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')')" \
    >"$site/eedraws-venv.pth"
}

cleanup() {
  stop_bg nginx
  stop_bg uvicorn-cold
  stop_bg uvicorn-warm
  stop_bg granian-cold
  stop_bg granian-warm
  stop_bg holder   # last: it holds the PostgreSQL and Redis the others use
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_uvicorn_venv
source=$(data_source)
ingest_bench_data "$source"
start_bg holder "$PY" "$BENCH_SRC/embedded_env.py" "$BENCH_HOME/data" "$RUN/servers.env"
for _ in $(seq 600); do [ -s "$RUN/servers.env" ] && break; sleep 0.1; done
[ -s "$RUN/servers.env" ] || { cat "$RUN/holder.log" >&2; die "the embedded servers did not start"; }
mapfile -t urls <"$RUN/servers.env"   # DATABASE_URL=..., REDIS_URL=...
common=(EEDRAWS_DATA_DIR="$BENCH_HOME/data" "${urls[@]}")

declare -A port
for t in granian-warm granian-cold uvicorn-warm uvicorn-cold; do port[$t]=$(free_port); done
start_app granian-warm "${port[granian-warm]}" "${common[@]}"
start_app granian-cold "${port[granian-cold]}" "${common[@]}" EEDRAWS_CACHE=off
# start_uvicorn NAME PORT [VAR=value ...]: uvicorn with the environment `eedraws serve` gives
# its granian workers (the resolved URLs, EEDRAWS_*), the app from the repository root.
start_uvicorn() {
  local name=$1 p=$2; shift 2
  start_bg "$name" env EEDRAWS_REFRESH_INTERVAL=0 EEDRAWS_RATE_LIMIT=off "${common[@]}" "$@" \
    "$UVENV/bin/uvicorn" --factory --workers 2 --loop uvloop --http httptools --no-access-log \
    --app-dir "$ROOT" --host 127.0.0.1 --port "$p" api.app:app_from_env
}
start_uvicorn uvicorn-warm "${port[uvicorn-warm]}"
start_uvicorn uvicorn-cold "${port[uvicorn-cold]}" EEDRAWS_CACHE=off
for t in granian-warm granian-cold uvicorn-warm uvicorn-cold; do
  wait_ready "$t" "http://127.0.0.1:${port[$t]}/v1/status"
done
declare -A workers
for t in granian-warm granian-cold uvicorn-warm uvicorn-cold; do
  workers[$t]=$(worker_pids "$(cat "$RUN/$t.pid")" | tr '\n' ' ')
  [ -n "${workers[$t]}" ] || die "$t: found no worker process"
  log "$t: port ${port[$t]}, workers ${workers[$t]}"
done

nginx_port=$(free_port)
"$PY" "$BENCH_SRC/record.py" "http://127.0.0.1:${port[granian-warm]}" \
  "http://127.0.0.1:${port[granian-cold]}" "$RUN" "$nginx_port"
mkdir -p "$RUN/nginx/tmp"
start_bg nginx "$(nginx_bin)" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log"
wait_listening nginx "$nginx_port"

# same_body URL BODY_FILE EXPECTED_FILE: warn when URL's body is not EXPECTED_FILE's bytes.
same_body() {
  local args=(-s -m 30 -o "$RUN/check.body")
  [ "$2" != - ] && args+=(-X POST -H 'Content-Type: application/json' --data-binary "@$2")
  curl "${args[@]}" "$1" || true
  cmp -s "$RUN/check.body" "$3" || log "WARNING: $1 answered other bytes than granian ($3)"
}

{
  echo "# $(date -u +%FT%TZ) $(machine_line) wrk -t2 -c32 -d${DURATION}s (warm-up ${WARMUP}s)"
  echo "# data: $source"
  echo "# app: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- api sql || echo '+uncommitted')"
  echo "# granian $("$PY" -c 'import importlib.metadata as m; print(m.version("granian"))')" \
    "(uvloop $("$PY" -c 'import importlib.metadata as m; print(m.version("uvloop"))')):" \
    "eedraws serve --workers 2"
  echo "# uvicorn $("$UVENV/bin/python" -c 'import importlib.metadata as m; print(m.version("uvicorn"), "(uvloop", m.version("uvloop") + ", httptools", m.version("httptools") + ")")'):" \
    "uvicorn --factory --workers 2 --loop uvloop --http httptools --no-access-log"
  echo "# target workload req_per_s p50_ms p99_ms errors resp_bytes requests probe_bytes"
} >"$out"

for pass in $(seq "$PASSES"); do
  [ "$PASSES" = 1 ] || log "pass $pass of $PASSES"
  if [ $((pass % 2)) = 1 ]; then order=(granian-warm uvicorn-warm granian-cold uvicorn-cold)
  else order=(uvicorn-warm granian-warm uvicorn-cold granian-cold); fi
  while IFS=$'\t' read -r -u 3 w _method path status _ctype _etag body; do
    [[ " ${WORKLOADS[*]} " == *" $w "* ]] || continue
    if [ "$status" != 200 ]; then
      for t in nginx "${order[@]}"; do emit "$t $w n/a n/a n/a n/a app_http_$status - -"; done
      continue
    fi
    if [ "$pass" = 1 ]; then
      for t in uvicorn-warm uvicorn-cold; do
        same_body "http://127.0.0.1:${port[$t]}$path" "$body" "$RUN/static/$w"
      done
    fi
    cell nginx "$w" "http://127.0.0.1:$nginx_port$path" 200 "$body" -
    for t in "${order[@]}"; do cell "$t" "$w" "http://127.0.0.1:${port[$t]}$path" 200 "$body" -; done
  done 3<"$RUN/workloads.tsv"
done
echo "# $(date -u +%FT%TZ) done load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$out"
for t in granian-warm granian-cold uvicorn-warm uvicorn-cold; do
  # shellcheck disable=SC2086
  echo "# $t workers ${workers[$t]}: VmRSS KiB after: $(rss_kib ${workers[$t]})" >>"$out"
done

log "raw results: $out"
"$PY" "$BENCH_SRC/servers_table.py" "$out" | tee "${out%.txt}.md"
