"""Real PostgreSQL and Redis for every test that needs them.

``DATABASE_URL`` / ``REDIS_URL`` when given; otherwise the embedded servers, started once per
session in a temporary directory. Each test gets its own database, cloned from a migrated
template, so tests never see each other's data.
"""

from __future__ import annotations

import itertools
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.embedded import servers_for
from api.ingest.store import IngestReport, ingest_bytes
from api.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ircc"
TEMPLATE_DB = "eedraws_test_template"
_numbers = itertools.count()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# A CI timeout or `timeout` sends SIGTERM: stop like Ctrl-C, so the session's fixtures tear
# down and the embedded servers stop instead of outliving the run.
signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def servers() -> Iterator[Settings]:
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


@pytest.fixture(scope="session")
async def template_db(servers: Settings) -> str:
    admin = await asyncpg.connect(servers.database_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await admin.close()
    conn = await db.connect(with_database(servers.database_url, TEMPLATE_DB))
    try:
        await db.migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture
async def settings(servers: Settings, template_db: str) -> AsyncIterator[Settings]:
    """Settings pointing at a fresh, migrated, empty database of this test's own."""
    name = f"eedraws_test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(servers.database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    finally:
        await admin.close()
    url = with_database(servers.database_url, name)
    clone = await asyncpg.connect(url)
    try:
        # A clone copies the template's store identity; caches (one Redis for every test) tell
        # stores apart by it, so each test's database gets its own, as a real store has.
        await clone.execute("UPDATE data_state SET store_id = gen_random_uuid()")
    finally:
        await clone.close()
    # The app serves as the read-only role (when there is one), as `eedraws serve` does.
    read_url = with_database(servers.database_read_url, name) if servers.database_read_url else ""
    yield msgspec.structs.replace(servers, database_url=url, database_read_url=read_url)
    admin = await asyncpg.connect(servers.database_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def conn(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    connection = await db.connect(settings.database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


class Ingest:
    """``await ingest(path)``: store a rounds file through the real ingest path."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def __call__(self, path: Path, *, force: bool = False) -> IngestReport:
        return await ingest_bytes(self.conn, path.read_bytes(), source=str(path), force=force)

    async def data(self, data: bytes, *, force: bool = False) -> IngestReport:
        return await ingest_bytes(self.conn, data, source="test bytes", force=force)


@pytest.fixture
def ingest(conn: asyncpg.Connection) -> Ingest:
    return Ingest(conn)
