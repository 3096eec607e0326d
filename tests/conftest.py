"""Fixtures only; what they are built from lives in ``tests/support/``.

Real PostgreSQL and Redis: ``DATABASE_URL`` / ``REDIS_URL`` when given, else embedded servers
started once per session in a temporary directory.

Two kinds of database, as Datasette's tests do it:
- read-only tests share one loaded database and one running app per data set, for the whole
  session (``rounds_2026``, ``rounds_2024_2026``, ``all_rounds``, ``official_rounds``): nothing
  is re-created or re-ingested per test, and such a test must change nothing;
- a test that writes (ingests, mutates the app or its cache) takes ``settings``: a fresh,
  migrated, empty database of its own, cloned from a template, dropped afterwards.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.settings import Settings
from tests.support.db import (
    FIXTURES,
    SHARED_DATA,
    Ingest,
    create_template,
    database_of_its_own,
    seed_bytes,
)
from tests.support.stores import StoppableRedis, stores_for_tests

Client = AsyncTestClient[Litestar]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# A CI timeout or `timeout` sends SIGTERM: stop like Ctrl-C, so the session's fixtures tear
# down and the embedded servers stop instead of outliving the run.
signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def servers() -> Iterator[Settings]:
    with stores_for_tests() as resolved:
        yield resolved


@pytest.fixture(scope="session")
async def template_db(servers: Settings) -> str:
    return await create_template(servers.database_url)


async def _shared_client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


# --- writers: a database of the test's own ------------------------------------------------


@pytest.fixture
async def settings(servers: Settings, template_db: str) -> AsyncIterator[Settings]:
    """Settings pointing at a fresh, migrated, empty database of this test's own."""
    async with database_of_its_own(servers, template_db, "own") as own:
        yield own


@pytest.fixture
async def conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    connection = await db.connect(settings.database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The app over this test's own (empty) database."""
    async for own in _shared_client(settings):
        yield own


@pytest.fixture
def ingest(conn: asyncpg.Connection) -> Ingest:
    return Ingest(conn)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[StoppableRedis]:
    """A Redis of this test's own, which the test may stop and start again, and where what the
    app wrote is all there is."""
    server = StoppableRedis(tmp_path)
    server.start()
    yield server
    server.stop()


# --- read-only: one loaded database and one app per data set, per session ------------------


@pytest.fixture(scope="session")
async def rounds_2026(servers: Settings, template_db: str) -> AsyncIterator[Settings]:
    async with database_of_its_own(
        servers, template_db, "2026", [FIXTURES / "rounds_2026.json"]
    ) as shared:
        yield shared


@pytest.fixture(scope="session")
async def client_2026(rounds_2026: Settings) -> AsyncIterator[Client]:
    """Read only: the app over tests/fixtures/rounds_2026.json."""
    async for shared in _shared_client(rounds_2026):
        yield shared


@pytest.fixture(scope="session")
async def rounds_2024_2026(servers: Settings, template_db: str) -> AsyncIterator[Settings]:
    files = [FIXTURES / "rounds_2024.json", FIXTURES / "rounds_2026.json"]
    async with database_of_its_own(servers, template_db, "2024_2026", files) as shared:
        yield shared


@pytest.fixture(scope="session")
async def client_2024_2026(rounds_2024_2026: Settings) -> AsyncIterator[Client]:
    """Read only: the app over rounds_2024.json then rounds_2026.json, ingested in that order."""
    async for shared in _shared_client(rounds_2024_2026):
        yield shared


@pytest.fixture(scope="session")
async def client_all_rounds(servers: Settings, template_db: str) -> AsyncIterator[Client]:
    """Read only: the app over every round of the packaged seed."""
    async with database_of_its_own(servers, template_db, "seed", [seed_bytes()]) as shared:
        async for client in _shared_client(shared):
            yield client


@pytest.fixture(scope="session")
async def client_official(servers: Settings, template_db: str) -> AsyncIterator[Client]:
    """Read only: IRCC's two real files from ../shared, ingested in the order IRCC published."""
    files = [
        SHARED_DATA / "ee_rounds_123_en.2024-04-06.json",
        SHARED_DATA / "ee_rounds_123_en.2026-04-21.json",
    ]
    async with database_of_its_own(servers, template_db, "official", files) as shared:
        async for client in _shared_client(shared):
            yield client
