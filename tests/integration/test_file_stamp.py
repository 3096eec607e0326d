"""A file answer (CSV, XLSX) is labelled with the data's stamp (its name's date, the XLSX
"About" sheet): read once per data version by a worker, and again once the version moves."""

from __future__ import annotations

import re

import msgspec
import redis.asyncio as redis

from api.app import create_app
from api.data_version import announce_data_version
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.http import data_version_reaches, in_app_loop, running


def _stamp_reads(statements: list[str]) -> int:
    return sum("newest_draw_date" in sql for sql in statements)


async def test_the_data_stamp_is_read_once_per_data_version_even_with_the_cache_off(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    cold = msgspec.structs.replace(settings, cache_enabled=False)
    app = create_app(cold)
    async with running(app) as (client, pool):
        version = app.state.response_cache.version
        in_app_loop(client, version.subscribed.wait)
        before = [
            await client.get(url) for url in ("/v1/draws.csv", "/v1/draws.csv", "/v1/draws.xlsx")
        ]
        assert [b.status_code for b in before] == [200, 200, 200]
        assert _stamp_reads(pool.statements) == 1
        names = {
            re.sub(r"\.\w+\"$", "", b.headers["content-disposition"]).split("filename=")[1]
            for b in before
        }
        assert len(names) == 1

        report = await ingest(FIXTURES / "rounds_2026.json")
        publisher = redis.from_url(settings.redis_url)
        await announce_data_version(publisher, report.data_version, str(report.store_id))
        await publisher.aclose()
        in_app_loop(client, data_version_reaches, version, report.data_version)
        after = await client.get("/v1/draws.csv")
    assert _stamp_reads(pool.statements) == 2
    assert after.headers["content-disposition"] == 'inline; filename="eedraws-draws-2026-04-15.csv"'
    assert after.headers["content-disposition"] != before[0].headers["content-disposition"]
