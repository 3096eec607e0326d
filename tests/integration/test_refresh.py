"""First load and periodic refresh: never stop serving, never lose data."""

from __future__ import annotations

import logging

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.ingest.source import SEED_SOURCE
from api.refresh import ensure_loaded, refresh_once
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.waiting import wait_until

UNREACHABLE = "http://127.0.0.1:9/ee_rounds_123_en.json"


async def test_an_empty_store_loads_the_packaged_seed_when_the_source_is_unreachable(
    settings: Settings, conn: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    offline = msgspec.structs.replace(settings, source=UNREACHABLE)
    with caplog.at_level(logging.WARNING, logger="eedraws.refresh"):
        report = await ensure_loaded(conn, offline)
    assert report is not None
    assert report.source == SEED_SOURCE
    assert report.rounds_in_file >= 412
    assert "from the packaged seed" in caplog.text


async def test_a_loaded_store_is_not_loaded_again(
    settings: Settings, conn: asyncpg.Connection, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    assert await ensure_loaded(conn, settings) is None


async def test_refresh_ingests_the_source_and_skips_when_an_ingest_just_ran(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    # An interval of 0: the ingest just above is never recent enough to skip this refresh.
    source = msgspec.structs.replace(
        settings, source=str(FIXTURES / "rounds_2026.json"), refresh_interval=0
    )
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        report = await refresh_once(pool, source)
        assert report is not None
        assert report.rounds_new == 5
        recent = msgspec.structs.replace(source, refresh_interval=3600)
        assert await refresh_once(pool, recent) is None
    finally:
        await pool.close()


async def test_a_failing_refresh_is_logged_and_serving_goes_on(
    settings: Settings, ingest: Ingest, caplog: pytest.LogCaptureFixture
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    failing = msgspec.structs.replace(settings, source=UNREACHABLE, refresh_interval=0.2)
    with caplog.at_level(logging.WARNING, logger="eedraws.refresh"):
        async with AsyncTestClient(app=create_app(failing)) as client:
            wait_until(lambda: "will retry" in caplog.text, 5, "no failed refresh was logged")
            answer = await client.get("/v1/draws/latest")
    assert answer.status_code == 200
    assert "refresh from http://127.0.0.1:9" in caplog.text
    assert "will retry" in caplog.text
