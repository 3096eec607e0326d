#!/usr/bin/env bash
# make bench-peers: the project beside the peers of ../shared/bench (nginx ceiling, FastAPI app
# with 2 workers, PostGraphile 5) on the same real data, with that harness's own load and table.
# The shared harness is read-only: it is copied to .bench/peers/harness and the copy gets two
# more targets (project = the app warm, project-cold = EEDRAWS_CACHE=off). Its state (Postgres
# with the real data loaded, venvs, node 22, PostGraphile) lives in .bench/peers/work.
# Slow the first time (apt postgresql + npm, node 22, PostGraphile install): minutes.
# Env: BENCH_DURATION (seconds per cell, default 10).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$SHARED/bench" ] || die "needs the shared harness at $SHARED/bench"
[ -f "$REAL_DATA" ] || die "needs IRCC's file at $REAL_DATA (the peers load it themselves)"
ensure_tools
prune_pg_handles
started=$(date +%s)

PEERS=$BENCH_HOME/peers
HARNESS=$PEERS/harness
RUN=$PEERS/run
rm -rf "$HARNESS" "$RUN"
mkdir -p "$PEERS" "$RUN"
cp -r "$SHARED/bench" "$HARNESS"
chmod -R u+w "$HARNESS"
export PERF=$PEERS/work WRK_DURATION=${BENCH_DURATION:-10}s

cleanup() {
  stop_bg project-cold
  stop_bg project
  # all.sh leaves the harness Postgres up when it found it up (setup.sh starts it).
  [ -x "$HARNESS/pg.sh" ] && "$HARNESS/pg.sh" stop >&2 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "setting up the shared harness in $PERF (idempotent; slow the first time)"
EE_DATA_JSON=$REAL_DATA "$HARNESS/setup.sh" >&2

ingest_bench_data "$REAL_DATA"
warm_port=$(free_port)
start_app project "$warm_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data"
wait_ready project "http://127.0.0.1:$warm_port/v1/status"
cold_port=$(free_port)
start_app project-cold "$cold_port" EEDRAWS_DATA_DIR="$BENCH_HOME/data" EEDRAWS_CACHE=off
wait_ready project-cold "http://127.0.0.1:$cold_port/v1/status"

# The harness's W1..W5 are the project's W1..W5; W5's body is the project's GraphQL query.
cp "$BENCH_SRC/bodies/w5.json" "$HARNESS/bodies/project_w5.json"
for t in "project $warm_port" "project-cold $cold_port"; do
  set -- $t
  printf '%s http://127.0.0.1:%s /v1/draws/latest /v1/draws?limit=50 %s /v1/draws.csv %s\n' \
    "$1" "$2" '/v1/stats/yearly?group_by=category' '/graphql<bodies/project_w5.json' \
    >>"$HARNESS/targets.tsv"
done

# The harness's verify.py, for the record: it compares answers with the reference app's files,
# whose shape is not the project's (CSV columns and row order, the /v1 list envelope, one
# category per drawName), so DIFF lines are expected here; they do not stop the run, and the
# project's figures are measured on its own answers.
log "verify.py project project-cold (DIFF = the reference app's answer shape, see docs/benchmarks.md)"
(cd "$HARNESS" && python3 verify.py project project-cold) >"$RUN/verify.txt" 2>&1 || true
sed 's/^/bench: verify: /' "$RUN/verify.txt" >&2

"$HARNESS/all.sh" nginx fastapi-2w postgraphile project project-cold
log "bench-peers took $(( $(date +%s) - started )) s; raw results in $PERF/results/"
