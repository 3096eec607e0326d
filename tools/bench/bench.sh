#!/usr/bin/env bash
# make bench: the app against the static ceiling, on loopback, bounded in time.
#   1. `eedraws serve --workers 2` twice on free ports, both on the embedded PostgreSQL/Redis in
#      .bench/data holding IRCC's 2026-04-21 file: warm (cache on, the default) and cold
#      (EEDRAWS_CACHE=off).
#   2. record.py saves each workload's answer from the app; nginx replays the same bytes on the
#      same paths with the same content type (the ceiling).
#   3. For each workload W1..W9: wrk -t2 -c32 against nginx, warm, cold, and warm revalidated
#      (If-None-Match with the app's ETag -> 304), after a short warm-up each.
#   4. The mixed cell (issue 19): cached W1 on the warm app (wrk -t1 -c4) alone, then while
#      wrk -t1 -c24 asks it for charts no cache holds (tools/bench/chart_flood.lua): every one
#      built and drawn, the chart queue full, 503s past it.
#   5. The MCP cell (issue 18): a tools/call for the latest draw POSTed to /mcp
#      (tools/bench/bodies/mcp_latest.json, as an MCP client sends it), warm and cold, beside W1.
#   6. Raw lines -> .bench/results/<UTC timestamp>.txt; markdown table (with % of nginx) -> stdout.
# Env: BENCH_DURATION (seconds per cell, default 10), BENCH_WARMUP (seconds, default 2),
#      BENCH_PASSES (default 1: how many times the whole matrix runs; the table shows medians),
#      BENCH_MIXED_ONLY=1 (only the warm app and the mixed cell: ~3 cells' time),
#      BENCH_MCP_ONLY=1 (only W1 and the MCP cell, warm and cold: 4 cells).
# Everything it starts is stopped on exit, failure or Ctrl-C included.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
PASSES=${BENCH_PASSES:-1}
MIXED_ONLY=${BENCH_MIXED_ONLY:-0}
MCP_ONLY=${BENCH_MCP_ONLY:-0}
MIXED_PATH=/v1/draws/latest
ensure_tools
prune_pg_handles
RUN=$BENCH_HOME/run
rm -rf "$RUN"
mkdir -p "$RUN" "$BENCH_HOME/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$BENCH_HOME/results/$stamp.txt

cleanup() {
  stop_bg flood
  stop_bg nginx
  stop_bg cold   # first: it reuses the embedded servers that the warm process started
  stop_bg warm
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source=$(data_source)
ingest_bench_data "$source"
# mixed_cell URL: cached W1 alone, then during a flood of new charts, and the flood itself
# (raw lines "mixed-alone W1 ...", "mixed-flood W1 ...", "flood W1 ...": table.py's last table).
mixed_cell() {
  local url=$1 code bytes n
  read -r code bytes <<<"$(probe "$url$MIXED_PATH" - -)"
  if [ "$code" != 200 ]; then emit "mixed-alone W1 n/a n/a n/a n/a http_$code - -"; return; fi
  export WRK_BODY_FILE='' WRK_IF_NONE_MATCH=''
  mixed_wrk alone "$url" "$bytes"
  # New URLs each run (the store's Redis keeps charts drawn by the last one).
  start_bg flood env FLOOD_FIRST=$(( $(date +%s) % 100000 * 13 )) wrk -t1 -c24 \
    -d"$(( DURATION + 2 * WARMUP ))s" --timeout 10s -s "$BENCH_SRC/chart_flood.lua" "$url"
  sleep "$WARMUP"
  mixed_wrk flood "$url" "$bytes"
  for n in $(seq 600); do kill -0 "$(cat "$RUN/flood.pid")" 2>/dev/null || break; sleep 0.1; done
  stop_bg flood
  emit "flood W1 $(grep '^RESULT ' "$RUN/flood.log" | tail -1 | cut -d' ' -f2- || echo error error error error error error) 0"
}

# mcp_cell TARGET PORT: the MCP cell on one app ("mcp-warm M1 ..."): a tools/call POSTed with the
# headers an MCP client sends (stateless: no initialize first, no session).
mcp_cell() {
  export WRK_HEADERS='Accept: application/json, text/event-stream|MCP-Protocol-Version: 2025-06-18'
  cell "mcp-$1" M1 "http://127.0.0.1:$2/mcp" 200 "$BENCH_SRC/bodies/mcp_latest.json" -
  export WRK_HEADERS=''
}

mixed_wrk() {
  wrk -t1 -c4 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_SRC/wrk.lua" "$2$MIXED_PATH" \
    >"$RUN/wrk-mixed-$1.log" 2>&1 || true
  local result
  result=$(grep '^RESULT ' "$RUN/wrk-mixed-$1.log" | tail -1 | cut -d' ' -f2-)
  emit "mixed-$1 W1 ${result:-error error error error error error} $3"
}

warm_port=$(free_port)
start_app warm "$warm_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data"
wait_ready warm "http://127.0.0.1:$warm_port/v1/status"
if [ "$MIXED_ONLY" = 1 ]; then
  {
    echo "# $(date -u +%FT%TZ) $(machine_line) mixed cell only: wrk -t1 -c4 -d${DURATION}s"
    echo "# app: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- api sql || echo '+uncommitted')"
  } >"$out"
  mixed_cell "http://127.0.0.1:$warm_port"
  echo "# $(date -u +%FT%TZ) done load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$out"
  "$PY" "$BENCH_SRC/table.py" "$out" | tee "${out%.txt}.md"
  exit 0
fi
cold_port=$(free_port)
start_app cold "$cold_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data" EEDRAWS_CACHE=off
wait_ready cold "http://127.0.0.1:$cold_port/v1/status"
if [ "$MCP_ONLY" = 1 ]; then
  {
    echo "# $(date -u +%FT%TZ) $(machine_line) MCP cell only: wrk -t2 -c32 -d${DURATION}s (warm-up ${WARMUP}s)"
    echo "# app: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- api sql || echo '+uncommitted')"
  } >"$out"
  for pass in $(seq "$PASSES"); do
    for target in warm cold; do
      port=$warm_port; [ "$target" = cold ] && port=$cold_port
      cell "$target" W1 "http://127.0.0.1:$port$MIXED_PATH" 200 - -
      mcp_cell "$target" "$port"
    done
  done
  echo "# $(date -u +%FT%TZ) done load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$out"
  "$PY" "$BENCH_SRC/table.py" "$out" | tee "${out%.txt}.md"
  exit 0
fi

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
  mcp_cell warm "$warm_port"
  mcp_cell cold "$cold_port"
done
mixed_cell "http://127.0.0.1:$warm_port"
echo "# $(date -u +%FT%TZ) done load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >>"$out"

log "raw results: $out"
"$PY" "$BENCH_SRC/table.py" "$out" | tee "${out%.txt}.md"
