"""Forecasts are made at ingest, in its transaction, and only then (docs/forecasts.md): the same
rounds give the same stored bytes in any store, a changed method makes them again under a new
data version, and a store that has none yet says so instead of answering a guess."""

from __future__ import annotations

import json

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api import forecasts
from api.ingest.forecasts import store_forecasts
from tests.support.db import FIXTURES, Ingest
from tests.support.ircc_rounds import OFFICIAL, SHARED_DATA

Client = AsyncTestClient[Litestar]
official = pytest.mark.skipif(
    not OFFICIAL.exists(),
    reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA})",
)


async def _stored(conn: asyncpg.Connection) -> tuple[list[str], list[tuple[object, ...]]]:
    answers = await conn.fetch(
        "SELECT f.answer::text FROM forecasts f JOIN categories c ON c.id = f.category_id "
        "ORDER BY c.slug"
    )
    rows = await conn.fetch("SELECT b.* FROM forecast_backtest b ORDER BY b.category, b.position")
    return [a[0] for a in answers], [tuple(r.values())[1:] for r in rows]


@official
async def test_the_same_rounds_give_the_same_forecasts_in_any_store_and_on_recomputing(
    ingest: Ingest, conn: asyncpg.Connection, client_official: Client
) -> None:
    # One file here, IRCC's two files in order there: the same rounds either way.
    report = await ingest(OFFICIAL)
    assert report.forecasts_estimated == 2
    first = await _stored(conn)
    async with conn.transaction():
        await store_forecasts(conn)
    assert await _stored(conn) == first
    assert len(first[1]) > 400
    served = (await client_official.get("/v1/forecasts/next")).json()
    assert sorted(json.loads(a)["category"] for a in first[0]) == sorted(
        s["category"] for s in served
    )
    by_slug = {json.loads(a)["category"]: json.loads(a) for a in first[0]}
    assert all(by_slug[s["category"]] == s for s in served)


async def test_an_unchanged_file_keeps_the_forecasts_and_a_new_method_makes_them_again(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    first = await ingest(FIXTURES / "rounds_2026.json")
    assert first.forecasts_estimated is not None
    assert await conn.fetchval("SELECT forecast_method FROM data_state") == forecasts.METHOD
    again = await ingest(FIXTURES / "rounds_2026.json")
    assert (again.changed_data, again.forecasts_estimated) == (False, None)
    assert again.data_version == first.data_version
    # Forecasts another release made: what it served differs, so caches must drop it.
    await conn.execute("UPDATE data_state SET forecast_method = 'another method'")
    await conn.execute("UPDATE forecasts SET answer = '{}'::jsonb")
    remade = await ingest(FIXTURES / "rounds_2026.json")
    assert remade.changed_data
    assert remade.data_version == first.data_version + 1
    assert await conn.fetchval("SELECT forecast_method FROM data_state") == forecasts.METHOD
    assert await conn.fetchval("SELECT count(*) FROM forecasts WHERE answer = '{}'::jsonb") == 0


async def test_a_store_ingested_before_forecasts_existed_answers_503_not_a_guess(
    ingest: Ingest, conn: asyncpg.Connection, client: Client
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    await conn.execute("DELETE FROM forecast_backtest; DELETE FROM forecasts")
    await conn.execute("UPDATE data_state SET forecast_method = NULL")
    for url in ("/v1/forecasts/next", "/v1/forecasts/backtest.csv"):
        response = await client.get(url)
        assert response.status_code == 503, response.text
        assert "next refresh" in response.json()["detail"]
        assert response.headers["retry-after"] == "60"
