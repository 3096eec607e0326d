# The project's vocabulary. `make run` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test test-abuse test-fast lint format openapi schema bench bench-peers bench-1m bench-servers clean browser-deps screenshots test-topology topology-deps wheel

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "eedraws needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/eedraws serve

test: install browser-deps
	$(BIN)/pytest

# Debian's chromium for the browser tests (tests/support/browser.py drives it with playwright;
# never `playwright install`, which downloads a browser build). Quick when already there.
CHROMIUM := /usr/bin/chromium
browser-deps:
	@if [ -x $(CHROMIUM) ] && dpkg -s fonts-liberation >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser-deps: $(CHROMIUM) is missing and this is not root on Debian (apt-get):" \
		     "install chromium yourself; the browser tests are skipped until then"; \
	else \
		echo "browser-deps: installing Debian chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 --no-install-recommends chromium fonts-liberation >/dev/null; \
	fi

# PNGs of the pages (dashboard, filtered, a round, GraphiQL, /errors) at a phone's (390 px) and a
# desktop's (1280 px) width, in screenshots/ (ignored by git): look at them after changing a page.
# Each is checked as it is shot (no sideways scroll, no broken date, no console error): a problem
# fails the target. EEDRAWS_URL=... to use a running server instead of starting one.
screenshots: install browser-deps
	$(BIN)/python tools/screenshots.py

# A real `eedraws serve` attacked (fuzzing, GraphQL bombs, worker kill, idle/slow clients, a
# PostgreSQL outage); about 20 s, so `make test` runs it too. docs/operations.md has the figures.
test-abuse: install
	$(BIN)/pytest -s tests/abuse

# The production topology on this machine (tests/topology): Debian's PostgreSQL primary and a
# streaming read replica, redis-server, two `eedraws serve` replicas, wrk for load. Figures are
# printed and written to docs/operations.md. Installs what is missing (root on Debian).
TOPOLOGY_PACKAGES := postgresql redis-server wrk
topology-deps:
	@if ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 && command -v redis-server >/dev/null \
		&& command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "topology-deps: install $(TOPOLOGY_PACKAGES) (Debian packages) first"; exit 1; \
	else \
		echo "topology-deps: installing $(TOPOLOGY_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 --no-install-recommends $(TOPOLOGY_PACKAGES) >/dev/null; \
	fi

test-topology: install topology-deps
	EEDRAWS_TOPOLOGY=1 $(BIN)/pytest tests/topology -s -q

# The wheel deploy/Dockerfile installs (tests/topology/test_wheel.py builds it the same way).
wheel: install
	rm -f dist/eedraws-*.whl
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

test-fast: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff check api tests tools
	$(BIN)/ruff format --check api tests tools
	$(BIN)/mypy

format: install
	$(BIN)/ruff format api tests tools
	$(BIN)/ruff check --fix api tests tools

openapi: install
	$(BIN)/eedraws export-openapi
	$(BIN)/python -c 'from pathlib import Path; from api.columns import write_docs; write_docs(Path("docs/exports.md"))'

schema: install
	$(BIN)/eedraws export-schema

# Benchmarks: how they work and the results are in docs/benchmarks.md. BENCH_DURATION=N seconds per cell.
bench: install
	bash tools/bench/bench.sh

bench-peers: install
	bash tools/bench/peers.sh

bench-1m: install
	bash tools/bench/bench_1m.sh

# granian (eedraws serve) against uvicorn (uvloop + httptools, in .bench/venv-uvicorn), warm and cold.
bench-servers: install
	bash tools/bench/servers.sh

clean:
	rm -rf $(VENV) .eedraws dist .pytest_cache .mypy_cache .ruff_cache
