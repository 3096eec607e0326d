"""PostgreSQL away or slow: honest 503s with Retry-After, a quiet log, the cache still serving."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import asyncpg
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.errors import ServiceUnavailable
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.pgproxy import PgProxy, pg_proxy


@pytest.fixture
async def loaded(settings: Settings, ingest: Ingest) -> Settings:
    await ingest(FIXTURES / "rounds_2026.json")
    return settings


@pytest.fixture
def proxy(loaded: Settings) -> Iterator[PgProxy]:
    with pg_proxy(loaded.serving_database_url) as running:
        yield running


def through(settings: Settings, proxy: PgProxy, **changes: object) -> Settings:
    """Settings whose serving connections pass through the proxy (as the same role)."""
    user = settings.serving_database_url.split("://", 1)[1].split("@", 1)[0].split(":")[0]
    return msgspec.structs.replace(settings, database_read_url=proxy.url(user), **changes)


def assert_unavailable(response: object) -> None:
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert int(response.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert response.json()["code"] == "service_unavailable"  # type: ignore[attr-defined]


async def test_postgresql_away_is_a_503_with_retry_after_the_cache_still_serves_it_recovers(
    loaded: Settings, proxy: PgProxy
) -> None:
    app: Litestar = create_app(through(loaded, proxy))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/v1/draws/latest")).status_code == 200  # now cached
        proxy.cut()
        assert_unavailable(await client.get("/v1/draws/398"))
        assert_unavailable(await client.get("/v1/draws", params={"category": "healthcare"}))
        assert_unavailable(await client.get("/v1/draws.csv"))
        cached = await client.get("/v1/draws/latest")
        assert cached.status_code == 200
        assert cached.json()["number"] == "411"
        proxy.restore()
        # No restart: the pool opens new connections once PostgreSQL answers again.
        deadline = time.monotonic() + 10
        while (response := await client.get("/v1/draws/398")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            await asyncio.sleep(0.2)
        assert response.json()["number"] == "398"


async def test_an_outage_logs_a_line_per_kind_of_failure_not_a_traceback_per_request(
    loaded: Settings,
    proxy: PgProxy,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The log says each kind once per 10 s per process: an earlier test's outage (the COPY
    # fault tests run just before) must not have said it already.
    monkeypatch.setattr(db, "failures", db.FailureLog())
    app: Litestar = create_app(through(loaded, proxy))
    async with AsyncTestClient(app=app) as client:
        proxy.cut()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for page in range(60):
                response = await client.get("/v1/draws", params={"min_crs": page})
                assert response.status_code == 503
        noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert noisy, "the outage was not logged at all"
        assert len(noisy) <= 4, [r.getMessage() for r in noisy]
        assert not [r for r in noisy if r.exc_info], "a traceback per failure floods the log"
        proxy.restore()


async def test_a_query_past_the_statement_timeout_is_a_503_within_the_limit(
    loaded: Settings,
) -> None:
    app = create_app(msgspec.structs.replace(loaded, statement_timeout=0.3))
    blocker = await asyncpg.connect(loaded.database_url)
    try:
        async with AsyncTestClient(app=app) as client:
            # An exclusive lock stands in for any slow query: reads of draws wait on it.
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("LOCK TABLE draws IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            response = await asyncio.wait_for(client.get("/v1/draws/398"), 5)
            elapsed = time.monotonic() - started
            await transaction.rollback()
            assert_unavailable(response)
            assert elapsed < 4.0  # 0.3 s asked; the rest is slack for a loaded machine
            assert (await client.get("/v1/draws/398")).status_code == 200
    finally:
        await blocker.close()


async def test_serving_connections_carry_the_statement_and_idle_transaction_timeouts(
    loaded: Settings,
) -> None:
    timeouts = db.Timeouts(statement=0.25, idle_in_transaction=3, acquire=1)
    pool = await db.create_pool(loaded.serving_database_url, min_size=1, timeouts=timeouts)
    serving = db.ServingDb(pool, timeouts)
    try:
        assert await serving.fetchval("SHOW statement_timeout") == "250ms"
        assert await serving.fetchval("SHOW idle_in_transaction_session_timeout") == "3s"
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as refused:
            await serving.fetchval("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 1.5
        assert refused.value.retry_after > 0
    finally:
        await pool.close()


async def test_a_pool_with_no_free_connection_is_a_503_after_the_acquire_timeout(
    loaded: Settings,
) -> None:
    timeouts = db.Timeouts(statement=5, idle_in_transaction=5, acquire=0.2)
    pool = await db.create_pool(
        loaded.serving_database_url, min_size=1, max_size=1, timeouts=timeouts
    )
    serving = db.ServingDb(pool, timeouts)
    try:
        async with pool.acquire():
            with pytest.raises(ServiceUnavailable):
                await serving.fetchval("SELECT 1")
        assert await serving.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


async def test_a_worker_started_while_postgresql_is_away_starts_answers_503_then_recovers(
    loaded: Settings, proxy: PgProxy
) -> None:
    proxy.cut()
    app: Litestar = create_app(through(loaded, proxy))
    async with AsyncTestClient(app=app) as client:
        assert_unavailable(await client.get("/v1/draws/latest"))
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        proxy.restore()
        deadline = time.monotonic() + 15
        while (response := await client.get("/v1/draws/latest")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            await asyncio.sleep(0.2)
        assert response.json()["number"] == "411"
