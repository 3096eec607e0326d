"""``eedraws serve`` as a real process on a free loopback port: what a client actually talks to.

with served(settings) as base:      # settings from the ``settings`` fixture (own database)
    urllib.request.urlopen(f"{base}/v1/draws")
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from api.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(settings: Settings, extra: Mapping[str, str] = {}) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EEDRAWS_")}
    env.update(
        DATABASE_URL=settings.database_url,
        DATABASE_READ_URL=settings.database_read_url,
        REDIS_URL=settings.redis_url,
        EEDRAWS_DATA_DIR=str(settings.data_dir),
        EEDRAWS_SOURCE=settings.source,
        EEDRAWS_REFRESH_INTERVAL="0",
        EEDRAWS_RATE_LIMIT=settings.rate_limit,
    )
    env.update(extra)
    return env


def wait_until_up(base: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"eedraws serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=2):
                return
        except (OSError, urllib.error.HTTPError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def served(
    settings: Settings,
    *,
    workers: int = 1,
    env: Mapping[str, str] = {},
    seconds: float = 180,  # a bound on the start, waited for: a loaded machine is slow
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Serve ``settings``' store on 127.0.0.1 and yield the base URL; stop the server on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--workers",
                str(workers),
                "--port",
                str(port),
                *args,
            ],
            env=server_env(settings, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            # A group of its own: what the server forked (granian's workers) is stopped with it.
            start_new_session=True,
        )
        try:
            try:
                wait_until_up(base, process, seconds)
            except (OSError, RuntimeError) as exc:
                log.seek(0)
                output = log.read().decode(errors="replace")
                raise RuntimeError(f"{exc}; the server's log:\n{output}") from exc
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            # A server killed (or slow to stop on a loaded machine) would leave its workers
            # serving on as orphans, each holding a core's share: none outlives the test.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
