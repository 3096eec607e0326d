#!/usr/bin/env bash
# make bench: the app against the static ceiling, on loopback, bounded in time.
#   1. `eedraws serve --workers 2` twice on free ports, both on the embedded PostgreSQL/Redis in
#      .bench/data holding IRCC's 2026-04-21 file: warm (cache on, the default) and cold
#      (EEDRAWS_CACHE=off).
#   2. record.py saves each workload's answer from the app; nginx replays the same bytes on the
#      same paths with the same content type (the ceiling).
#   3. For each workload W1..W8: wrk -t2 -c32 against nginx, warm, cold, and warm revalidated
#      (If-None-Match with the app's ETag -> 304), after a short warm-up each.
#   4. Raw lines -> .bench/results/<UTC timestamp>.txt; markdown table (with % of nginx) -> stdout.
# Env: BENCH_DURATION (seconds per cell, default 10), BENCH_WARMUP (seconds, default 2),
#      BENCH_PASSES (default 1: how many times the whole matrix runs; the table shows medians).
# Everything it starts is stopped on exit, failure or Ctrl-C included.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
PASSES=${BENCH_PASSES:-1}
ensure_tools
prune_pg_handles
RUN=$BENCH_HOME/run
rm -rf "$RUN"
mkdir -p "$RUN" "$BENCH_HOME/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$BENCH_HOME/results/$stamp.txt

cleanup() {
  stop_bg nginx
  stop_bg cold   # first: it reuses the embedded servers that the warm process started
  stop_bg warm
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source=$(data_source)
ingest_bench_data "$source"
warm_port=$(free_port)
start_app warm "$warm_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data"
wait_ready warm "http://127.0.0.1:$warm_port/v1/status"
cold_port=$(free_port)
start_app cold "$cold_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data" EEDRAWS_CACHE=off
wait_ready cold "http://127.0.0.1:$cold_port/v1/status"

nginx_port=$(free_port)
"$PY" "$BENCH_SRC/record.py" "http://127.0.0.1:$warm_port" "http://127.0.0.1:$cold_port" \
  "$RUN" "$nginx_port"
mkdir -p "$RUN/nginx/tmp"
start_bg nginx "$(nginx_bin)" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log"
wait_listening nginx "$nginx_port"

# probe URL BODY_FILE ETAG -> "STATUS BYTES": the HTTP status (000 when nothing answered) and the
# size of one whole response, headers included, as wrk counts it.
probe() {
  local args=(-s -o /dev/null -m 10 -w '%{http_code} %{size_header} %{size_download}')
  [ "$2" != - ] && args+=(-X POST -H 'Content-Type: application/json' --data-binary "@$2")
  [ "$3" != - ] && args+=(-H "If-None-Match: $3")
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
  local target=$1 w=$2 url=$3 expect=$4 body=$5 etag=$6 code bytes result
  read -r code bytes <<<"$(probe "$url" "$body" "$etag")"
  if [ "$code" != "$expect" ]; then emit "$target $w n/a n/a n/a n/a http_$code - -"; return; fi
  export WRK_BODY_FILE='' WRK_IF_NONE_MATCH=''
  [ "$body" != - ] && WRK_BODY_FILE=$body
  [ "$etag" != - ] && WRK_IF_NONE_MATCH=$etag
  WRK_QUIET=1 wrk -t2 -c32 -d"${WARMUP}s" --timeout 10s -s "$BENCH_SRC/wrk.lua" "$url" \
    >/dev/null 2>&1 || true
  wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_SRC/wrk.lua" "$url" \
    >"$RUN/wrk-$target-$w.log" 2>&1 || true
  result=$(grep '^RESULT ' "$RUN/wrk-$target-$w.log" | tail -1 | cut -d' ' -f2-)
  emit "$target $w ${result:-error error error error error error} $bytes"
}

{
  echo "# $(date -u +%FT%TZ) $(machine_line) wrk -t2 -c32 -d${DURATION}s (warm-up ${WARMUP}s)"
  echo "# data: $source"
  echo "# app: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- api sql || echo '+uncommitted')"
  echo "# target workload req_per_s p50_ms p99_ms errors resp_bytes requests probe_bytes"
} >"$out"
# Workload by workload, the four servers back to back: their ratios are taken minutes apart at
# most. With BENCH_PASSES > 1 the whole matrix runs again and table.py takes medians.
for pass in $(seq "$PASSES"); do
  [ "$PASSES" = 1 ] || log "pass $pass of $PASSES"
  while IFS=$'\t' read -r -u 3 w _method path status _ctype etag body; do
    if [ "$status" != 200 ]; then
      for t in nginx warm cold 304; do emit "$t $w n/a n/a n/a n/a app_http_$status - -"; done
    else
      cell nginx "$w" "http://127.0.0.1:$nginx_port$path" 200 "$body" -
      cell warm "$w" "http://127.0.0.1:$warm_port$path" 200 "$body" -
      cell cold "$w" "http://127.0.0.1:$cold_port$path" 200 "$body" -
      if [ "$etag" = - ]; then emit "304 $w n/a n/a n/a n/a no_etag - -"
      else cell 304 "$w" "http://127.0.0.1:$warm_port$path" 304 "$body" "$etag"; fi
    fi
  done 3<"$RUN/workloads.tsv"
done
echo "# $(date -u +%FT%TZ) done load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$out"

log "raw results: $out"
"$PY" "$BENCH_SRC/table.py" "$out" | tee "${out%.txt}.md"
