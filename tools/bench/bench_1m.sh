#!/usr/bin/env bash
# make bench-1m: keyset pagination and worker memory with 1,000,000 synthetic draws.
#   1. Holds the bench's embedded PostgreSQL (.bench/data/pg) up and fills a database eedraws_1m
#      in it with synthetic.py (skipped when it already holds the same draws).
#   2. `eedraws serve --workers 2` on that database, cold (EEDRAWS_CACHE=off).
#   3. wrk -t2 -c32 on W2 at page 1 and at page $BENCH_DEEP_PAGE (a cursor deep in the list).
#   4. VmRSS of each granian worker (a process of its own) before and after the load.
# Env: BENCH_DURATION (seconds per cell, default 10), BENCH_WARMUP (default 2),
#      BENCH_DEEP_PAGE (default 15000), BENCH_DRAWS (default 1000000).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
DEEP_PAGE=${BENCH_DEEP_PAGE:-15000}
DRAWS=${BENCH_DRAWS:-1000000}
ensure_tools
prune_pg_handles
RUN=$BENCH_HOME/run-1m
rm -rf "$RUN"
mkdir -p "$RUN" "$BENCH_HOME/results" "$BENCH_HOME/data-1m"
out=$BENCH_HOME/results/1m-$(date -u +%Y%m%dT%H%M%SZ).txt

cleanup() {
  stop_bg app
  stop_bg pg
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_bg pg "$PY" "$BENCH_SRC/embedded_pg.py" "$BENCH_HOME/data" "$RUN/pg.url"
for _ in $(seq 300); do [ -s "$RUN/pg.url" ] && break; sleep 0.1; done
[ -s "$RUN/pg.url" ] || { cat "$RUN/pg.log" >&2; die "the embedded PostgreSQL did not start"; }
# The server's URL names database 'postgres'; the synthetic draws get a database of their own.
db_url=$("$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/eedraws_1m")))' "$(cat "$RUN/pg.url")")

started=$(date +%s)
"$PY" "$BENCH_SRC/synthetic.py" "$db_url" --draws "$DRAWS"
log "synthetic data ready in $(( $(date +%s) - started )) s"
deep_path=$("$PY" "$BENCH_SRC/synthetic.py" "$db_url" --cursor-for-page "$DEEP_PAGE")

port=$(free_port)
# Its own data dir: only for the embedded Redis, since DATABASE_URL is given.
start_app app "$port" DATABASE_URL="$db_url" EEDRAWS_DATA_DIR="$BENCH_HOME/data-1m" EEDRAWS_CACHE=off
wait_ready app "http://127.0.0.1:$port/v1/status"
mapfile -t workers < <(worker_pids "$(cat "$RUN/app.pid")")
[ ${#workers[@]} -gt 0 ] || die "found no granian worker of the app"
rss_before=$(rss_kib "${workers[@]}")

# Raw lines to the results file and the terminal; no pipeline or $(...) around the cells, since
# bash runs its traps only between foreground commands: a TERM stops the run after the current wrk.
emit() { echo "$*" >>"$out"; echo "$*" >&2; }

# cell NAME PATH -> emits "NAME req_per_s p50_ms p99_ms errors resp_bytes requests"
cell() {
  local url="http://127.0.0.1:$port$2" code
  code=$(curl -s -o "$RUN/$1.body" -m 30 -w '%{http_code}' "$url" || true)
  [ "$code" = 200 ] || { emit "$1 n/a n/a n/a n/a http_$code -"; return; }
  WRK_QUIET=1 wrk -t2 -c32 -d"${WARMUP}s" --timeout 10s -s "$BENCH_SRC/wrk.lua" "$url" \
    >/dev/null 2>&1 || true
  wrk -t2 -c32 -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_SRC/wrk.lua" "$url" \
    >"$RUN/wrk-$1.log" 2>&1 || true
  emit "$1 $(grep '^RESULT ' "$RUN/wrk-$1.log" | tail -1 | cut -d' ' -f2-)"
}

emit "# $(date -u +%FT%TZ) $(machine_line) wrk -t2 -c32 -d${DURATION}s (warm-up ${WARMUP}s)"
emit "# data: $DRAWS synthetic draws (tools/bench/synthetic.py), app cold (EEDRAWS_CACHE=off)"
emit "# deep page $DEEP_PAGE: $deep_path"
emit "# workers ${workers[*]}: VmRSS KiB before: $rss_before"
emit "# name req_per_s p50_ms p99_ms errors resp_bytes requests"
cell first-page "/v1/draws?limit=50"
emit "# workers ${workers[*]}: VmRSS KiB after page 1: $(rss_kib "${workers[@]}")"
cell deep-page "$deep_path"
emit "# workers ${workers[*]}: VmRSS KiB after: $(rss_kib "${workers[@]}")"
log "raw results: $out"

# Markdown on stdout.
echo "| W2 (limit=50), $DRAWS draws, app cold, 2 workers | req/s | p50 ms | p99 ms | errors |"
echo "|---|--:|--:|--:|--:|"
for name in first-page deep-page; do
  read -r _ rps p50 p99 errors reason _ < <(grep "^$name " "$out")
  label="page 1"; [ "$name" = deep-page ] && label="page $DEEP_PAGE (cursor)"
  if [ "$rps" = n/a ]; then echo "| $label | n/a ($reason) | | | |"
  else printf '| %s | %.0f | %.2f | %.2f | %s |\n' "$label" "$rps" "$p50" "$p99" "$errors"; fi
done
echo
sed -n 's/^# workers \(.*\): VmRSS KiB \(.*\): \(.*\)$/- worker VmRSS (KiB) \2, pids \1: \3/p' "$out"
