#!/usr/bin/env bash
# make bench: the app against the static ceiling, on loopback, bounded in time.
#   1. `eedraws serve --workers 2` twice on free ports, both on the embedded PostgreSQL/Redis in
#      .bench/data holding IRCC's 2026-04-21 file: warm (cache on, the default) and cold
#      (EEDRAWS_CACHE=off).
#   2. record.py saves each workload's answer from the app; nginx replays the same bytes on the
#      same paths with the same content type (the ceiling).
#   3. For each workload W1..W9: wrk -t2 -c32 against nginx, warm, cold, and warm revalidated
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
