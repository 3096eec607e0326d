"""DATABASE_READ_URL: serving reads go to the replica, fall back to the primary when it fails,
and return only once it has caught up with what this worker serves.

A second database stands in for the replica, so a test can tell which server answered: round
270 is only on the primary, round 291 only on the "replica". The topology suite
(tests/topology) runs a real streaming replica of Debian's PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.ingest.store import ingest_bytes
from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.pgproxy import PgProxy, pg_proxy


async def _load(url: str, *names: str) -> None:
    conn = await db.connect(url)
    try:
        for name in names:
            await ingest_bytes(conn, (FIXTURES / name).read_bytes(), source=name, force=True)
    finally:
        await conn.close()


@pytest.fixture
async def replica_url(servers: Settings, template_db: str) -> AsyncIterator[str]:
    async with database_of_its_own(servers, template_db, "other") as other:
        yield other.database_url


@pytest.fixture
def proxy(replica_url: str) -> Iterator[PgProxy]:
    with pg_proxy(replica_url) as running:
        yield running


async def _answered_by(client: AsyncTestClient) -> str:  # type: ignore[type-arg]
    on_primary = (await client.get("/v1/draws/270")).status_code
    on_replica = (await client.get("/v1/draws/291")).status_code
    # Both 200: reads moved between the two requests.
    return {(200, 404): "primary", (404, 200): "replica", (200, 200): "moving"}[
        (on_primary, on_replica)
    ]


async def test_a_failed_replica_falls_back_to_the_primary_and_returns_once_caught_up(
    settings: Settings, replica_url: str, proxy: PgProxy
) -> None:
    await _load(settings.database_url, "rounds_2024.json", "rounds_2026.json")  # version 2
    await _load(replica_url, "lines_2026.json")  # version 1: behind the primary
    read = msgspec.structs.replace(
        settings,
        database_read_url=proxy.url(),
        database_read_fallback_url=settings.serving_database_url,
        cache_enabled=False,
    )
    async with AsyncTestClient(app=create_app(read)) as client:
        assert await _answered_by(client) == "replica"
        proxy.cut()
        # Connections cut mid-flight, new ones refused: every answer still comes.
        for _ in range(5):
            assert await _answered_by(client) == "primary"
        proxy.restore()
        # Back, but at version 1 while this worker now serves the primary's version 2.
        await asyncio.sleep(1.5)
        assert await _answered_by(client) == "primary"
        await _load(replica_url, "lines_2024.json")  # the "replica" replays version 2
        for _ in range(100):  # a loaded machine: up to 10 s
            if await _answered_by(client) == "replica":
                break
            await asyncio.sleep(0.1)
        assert await _answered_by(client) == "replica"
        status = (await client.get("/v1/status")).json()
        assert status["data_version"] == 2
