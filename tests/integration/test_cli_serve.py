"""The real thing: `eedraws serve` and `eedraws ingest` as processes, talking over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.db import FIXTURES
from tests.support.server import free_port, wait_until_up
from tests.support.waiting import get_json, wait_until

EEDRAWS = [sys.executable, "-m", "api.cli"]
STARTUP_BOUND = 300.0


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No XDG_RUNTIME_DIR, as in a container or a root shell: pgserver's import made platformdirs
    # warn about it at every start.
    dropped = {"DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(
        EEDRAWS_DATA_DIR=str(tmp_path / "data"),
        EEDRAWS_SOURCE=str(FIXTURES / "rounds_2026.json"),
        EEDRAWS_REFRESH_INTERVAL="0",
        EEDRAWS_RATE_LIMIT="off",
    )
    return environment


def test_serve_loads_an_empty_store_and_shows_a_concurrent_ingest_without_restart(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*EEDRAWS, "serve", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Waited for, bounded generously: initdb, migrations and the first ingest take ~15 s
        # alone and over 60 s on a loaded 2-core machine. A server that exits fails at once.
        wait_until_up(base, server, STARTUP_BOUND)
        status = get_json(f"{base}/v1/status")
        assert status["draws"] == 14
        assert get_json(f"{base}/v1/draws/latest")["number"] == "411"
        ingest = subprocess.run(
            [*EEDRAWS, "ingest", str(FIXTURES / "rounds_future.json")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ingest.returncode == 0, ingest.stderr
        assert "2 new, 1 changed, 13 unchanged" in ingest.stdout
        assert "categories new: 1 (researchers-with-canadian-work-experience)" in ingest.stdout
        wait_until(
            lambda: get_json(f"{base}/v1/draws/latest")["number"] == "413",
            2,
            "the running server never showed the new data",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=STARTUP_BOUND)
    assert server.returncode == 0, stderr.decode()[-2000:]
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists(), "PostgreSQL left running"
    # A start says what it did, and no dependency's warning (with a stray source line) with it.
    for output in (stderr.decode(), ingest.stderr):
        assert "Warning" not in output, output[-2000:]


def test_ingest_refuses_a_malformed_file_with_a_clear_message_and_exit_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "page.json"
    bad.write_text("<!DOCTYPE html><html><body>Temporarily unavailable</body></html>")
    result = subprocess.run(
        [*EEDRAWS, "ingest", str(bad)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "refused: the source is an HTML page" in result.stderr
    assert "The store was not changed." in result.stderr
