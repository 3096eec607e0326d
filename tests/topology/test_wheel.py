"""The wheel the image installs (deploy/Dockerfile) serves from a clean virtualenv: built with
the same command, installed with its dependencies and nothing of the checkout, run from
elsewhere, its migrations and SQL read from inside the package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.topology import FIGURES, FIXTURES, REPO, Topology, free_port, get_json

pytestmark = pytest.mark.skipif(
    not os.environ.get("EEDRAWS_TOPOLOGY"), reason="the topology suite runs with make test-topology"
)

# What `make wheel` runs and deploy/Dockerfile installs the result of.
WHEEL_COMMAND = ["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir"]


def test_the_dockerfile_installs_the_wheel_make_wheel_builds() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert "pip wheel --quiet --no-deps --wheel-dir dist ." in makefile
    assert re.search(r"COPY dist/eedraws-\*\.whl", dockerfile)


def test_the_wheel_serves_v1_status_from_a_clean_virtualenv(topology: Topology) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="eedraws-wheel-") as tmp:
        dist, venv = Path(tmp) / "dist", Path(tmp) / "venv"
        subprocess.run([sys.executable, *WHEEL_COMMAND, str(dist), str(REPO)], check=True)
        (wheel,) = dist.glob("eedraws-*.whl")
        names = zipfile.ZipFile(wheel).namelist()
        migrations = sorted(p.name for p in (REPO / "sql" / "migrations").glob("*.sql"))
        assert [n for n in names if n.startswith("api/_sql/migrations/")] == [
            f"api/_sql/migrations/{m}" for m in migrations
        ]
        assert "api/_sql/queries/draws.sql" in names
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
            check=True,
        )
        topology.primary.psql("CREATE DATABASE eedraws_wheel", database="postgres")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EEDRAWS_", "DATABASE_"))}
        env.pop("PYTHONPATH", None)
        env.update(
            DATABASE_URL=topology.primary.url(database="eedraws_wheel"),
            REDIS_URL=topology.redis.url,
            EEDRAWS_SOURCE=str(FIXTURES / "rounds_2026.json"),
            EEDRAWS_REFRESH_INTERVAL="0",
            EEDRAWS_DATA_DIR=str(Path(tmp) / "data"),
        )
        port = free_port()
        server = subprocess.Popen(
            [str(venv / "bin" / "eedraws"), "serve", "--port", str(port), "--workers", "1"],
            cwd=tmp,  # not the checkout: nothing may come from it
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            status = _status_when_up(f"http://127.0.0.1:{port}", server)
        finally:
            server.terminate()
            server.wait(30)
    assert status["newest_draw"] == "411", status
    FIGURES["wheel built, installed in a clean venv and serving /v1/status"] = (
        f"{time.monotonic() - started:.0f} s"
    )


def _status_when_up(base: str, server: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while True:
        assert server.poll() is None, "eedraws serve from the wheel exited"
        try:
            status = get_json(f"{base}/v1/status")
            assert isinstance(status, dict)
            return status
        except OSError:
            assert time.monotonic() < deadline, "eedraws serve from the wheel never answered"
            time.sleep(0.2)
