"""PostgreSQL hung, not down: its processes stopped (SIGSTOP) with every socket still open.

Nothing is refused or dropped, so only the client's own clocks end a wait: a served instance on a
PostgreSQL of its own (stopping the session's would stop every other test) must answer 503 with
``Retry-After`` within the database deadline, ``/readyz`` within its own, cached answers at
once, and come back by itself when PostgreSQL resumes (SIGCONT).
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import psutil
import pytest

from api import db
from api.embedded import servers_for
from api.settings import Settings
from tests.support.db import FIXTURES, load
from tests.support.server import served

# What the issue asks (503 within about 2 s, /readyz within 1 s), with room for a loaded
# 2-core machine; the measured times are printed (pytest -s).
UNAVAILABLE_WITHIN = 3.0
READY_WITHIN = 1.0
RECOVERED_WITHIN = 6.0


class Answer(msgspec.Struct, frozen=True):
    status: int
    seconds: float
    retry_after: str | None
    code: str | None


def get(url: str) -> Answer:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return Answer(response.status, time.monotonic() - started, None, None)
    except urllib.error.HTTPError as error:
        body = msgspec.json.decode(error.read()) if error.code == 503 else {}
        retry_after = error.headers.get("retry-after")
        return Answer(error.code, time.monotonic() - started, retry_after, body.get("code"))


class OwnPostgres:
    """An embedded PostgreSQL for one test, whose processes it may stop and resume."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        pid_file = settings.data_dir / "pg" / "postmaster.pid"
        self.postmaster = psutil.Process(int(pid_file.read_text().split()[0]))

    def _processes(self) -> list[psutil.Process]:
        return [self.postmaster, *self.postmaster.children(recursive=True)]

    def hang(self) -> None:
        for process in self._processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        # Children forked while stopping the others (a backend for a new connection) included.
        for process in self._processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


@pytest.fixture
async def own_postgres(servers: Settings) -> AsyncIterator[OwnPostgres]:
    with tempfile.TemporaryDirectory(prefix="eedraws-hung-") as tmp:
        base = msgspec.structs.replace(
            servers, database_url="", database_read_url="", data_dir=Path(tmp)
        )
        with servers_for(base) as settings:
            conn = await db.connect(settings.database_url)
            try:
                await db.migrate(conn)
            finally:
                await conn.close()
            await load(settings.database_url, [FIXTURES / "rounds_2026.json"])
            postgres = OwnPostgres(settings)
            try:
                yield postgres
            finally:
                postgres.resume()


def test_a_hung_postgresql_is_a_503_within_the_deadline_readyz_within_1s_then_recovers(
    own_postgres: OwnPostgres,
) -> None:
    with served(own_postgres.settings) as base, ThreadPoolExecutor(16) as pool:
        assert get(f"{base}/v1/draws/latest").status == 200  # cached from now on
        assert get(f"{base}/readyz").status == 200
        own_postgres.hang()
        try:
            # More reads at once than the worker's pool has connections (10), each a miss, and
            # three of one answer (the later two wait for the first to make it).
            targets = [f"/v1/draws?min_crs={n}" for n in range(10)] + ["/v1/draws/397"] * 3
            misses = [pool.submit(get, base + target) for target in targets]
            ready = pool.submit(get, f"{base}/readyz")
            cached = pool.submit(get, f"{base}/v1/draws/latest")
            first = [f.result() for f in misses]
            probe, hit = ready.result(), cached.result()
            # Then again: the connections the first wave left are gone; new ones hang too.
            second = [get(f"{base}/v1/draws/398"), get(f"{base}/readyz")]
        finally:
            own_postgres.resume()
        resumed = time.monotonic()
        while (back := get(f"{base}/v1/draws/398")).status != 200:
            assert time.monotonic() - resumed < RECOVERED_WITHIN, back
            time.sleep(0.1)
        recovered = time.monotonic() - resumed
        assert get(f"{base}/readyz").status == 200
    print(
        f"\nhung PostgreSQL: misses 503 in {min(a.seconds for a in first):.2f}-"
        f"{max(a.seconds for a in first):.2f} s, then {second[0].seconds:.2f} s; /readyz in "
        f"{probe.seconds:.2f} s, then {second[1].seconds:.2f} s; cached hit in "
        f"{hit.seconds * 1000:.0f} ms; 200 again {recovered:.2f} s after SIGCONT"
    )
    for answer in [*first, second[0]]:
        assert answer.status == 503, answer
        assert answer.retry_after and int(answer.retry_after) > 0, answer
        assert answer.code == "service_unavailable", answer
        assert answer.seconds < UNAVAILABLE_WITHIN, answer
    for answer in (probe, second[1]):
        assert answer.status == 503, answer
        assert answer.retry_after and int(answer.retry_after) > 0, answer
        assert answer.seconds < READY_WITHIN, answer
    assert hit.status == 200 and hit.seconds < 0.5, hit
