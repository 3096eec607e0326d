"""A server that drops the connection in the middle of the CSV's COPY: the read moves to the
primary and the file is whole (never part of the replica's rows, then the primary's), or, with
no other server to read from, the answer is a clean 503 and the next one is whole again."""

from __future__ import annotations

import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from tests.support.copy_cut import copy_cut_proxy
from tests.support.db import FIXTURES, database_of_its_own, load
from tests.support.http import pythons_csv

Client = AsyncTestClient  # type: ignore[type-arg]


async def lines_from_another_writer(url: str) -> None:
    """Stored lines made by another release's writer: this server writes the file by COPY."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE data_state SET csv_format = 'another writer'")
    finally:
        await conn.close()


async def test_a_replica_cut_mid_copy_falls_back_and_serves_the_primarys_whole_file(
    settings: Settings, servers: Settings, template_db: str
) -> None:
    await load(settings.database_url, [FIXTURES / f"rounds_{y}.json" for y in (2024, 2026)])
    await lines_from_another_writer(settings.database_url)
    async with AsyncTestClient(app=create_app(settings)) as primary:
        on_primary = await pythons_csv(primary)
    # Other rounds on the "replica": the two servers' files differ.
    replica = [FIXTURES / "lines_2026.json"]
    async with database_of_its_own(servers, template_db, "replica", replica) as other:
        await lines_from_another_writer(other.database_url)
        with copy_cut_proxy(other.database_url) as proxy:
            read = msgspec.structs.replace(
                settings,
                database_read_url=proxy.url(),
                database_read_fallback_url=settings.serving_database_url,
                cache_enabled=False,
            )
            async with AsyncTestClient(app=create_app(read)) as client:
                on_replica = (await client.get("/v1/draws.csv")).content
                assert on_replica == await pythons_csv(client) != on_primary
                proxy.armed = True
                response = await client.get("/v1/draws.csv")
                assert proxy.cuts == 1
                assert response.status_code == 200, response.text
                # The primary's file alone: none of the replica's rows read before the cut.
                assert response.content == on_primary


async def test_a_server_cut_mid_copy_with_no_fallback_is_a_clean_503_then_whole_again(
    settings: Settings,
) -> None:
    await load(settings.database_url, [FIXTURES / "rounds_2026.json"])
    await lines_from_another_writer(settings.database_url)
    user = settings.serving_database_url.split("://", 1)[1].split("@", 1)[0].split(":")[0]
    with copy_cut_proxy(settings.serving_database_url) as proxy:
        through = msgspec.structs.replace(
            settings, database_read_url=proxy.url(user), cache_enabled=False
        )
        async with AsyncTestClient(app=create_app(through)) as client:
            whole = await client.get("/v1/draws.csv")
            assert whole.status_code == 200
            proxy.armed = True
            response = await client.get("/v1/draws.csv")
            assert proxy.cuts == 1
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert int(response.headers["retry-after"]) > 0
            assert response.json()["code"] == "service_unavailable"
            again = await client.get("/v1/draws.csv")
            assert again.status_code == 200
            assert again.content == whole.content == await pythons_csv(client)
