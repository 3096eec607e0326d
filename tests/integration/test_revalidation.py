"""Conditional GETs as RFC 9110 has them: weak comparison, ``*``, and what a 304 carries."""

from __future__ import annotations

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from tests.support.http import running

Client = AsyncTestClient[Litestar]
CACHING_HEADERS = ("cache-control", "etag", "vary")


@pytest.mark.parametrize("path", ["/v1/draws/latest", "/v1/draws/91b", "/v1/categories"])
async def test_a_weak_validator_of_the_current_etag_gives_304(
    client_2026: Client, path: str
) -> None:
    etag = (await client_2026.get(path)).headers["etag"]
    again = await client_2026.get(path, headers={"If-None-Match": f"W/{etag}"})
    assert again.status_code == 304
    assert again.content == b""


async def test_the_etag_among_several_weak_and_strong_ones_gives_304(client_2026: Client) -> None:
    etag = (await client_2026.get("/v1/draws/latest")).headers["etag"]
    listed = f'"other", W/"older" ,W/{etag}'
    again = await client_2026.get("/v1/draws/latest", headers={"If-None-Match": listed})
    assert again.status_code == 304


async def test_a_validator_of_another_representation_gives_the_body(client_2026: Client) -> None:
    etag = (await client_2026.get("/v1/draws/latest")).headers["etag"]
    other = etag[:-2] + ('0"' if etag[-2] != "0" else '1"')
    answer = await client_2026.get("/v1/draws/latest", headers={"If-None-Match": f"W/{other}"})
    assert answer.status_code == 200
    assert answer.json()["number"] == "411"


async def test_star_gives_304_for_a_cacheable_answer(client_2026: Client) -> None:
    first = await client_2026.get("/v1/draws?limit=3")
    star = await client_2026.get("/v1/draws?limit=3", headers={"If-None-Match": "*"})
    assert star.status_code == 304
    assert star.headers["etag"] == first.headers["etag"]


async def test_star_is_no_304_where_there_is_no_cacheable_representation(
    client_2026: Client,
) -> None:
    missing = await client_2026.get("/v1/draws/999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    status = await client_2026.get("/v1/status", headers={"If-None-Match": "*"})
    assert status.status_code == 200
    assert status.json()["draws"] == 14


@pytest.mark.parametrize("validator", ["{etag}", "W/{etag}", "*"])
@pytest.mark.parametrize("path", ["/v1/draws/latest", "/v1/draws/91b", "/v1/stats/yearly"])
async def test_a_304_carries_the_cache_control_etag_and_vary_of_the_200(
    client_2026: Client, path: str, validator: str
) -> None:
    full = await client_2026.get(path)
    etag = full.headers["etag"]
    again = await client_2026.get(path, headers={"If-None-Match": validator.format(etag=etag)})
    assert again.status_code == 304
    assert {h: again.headers.get(h) for h in CACHING_HEADERS} == {
        h: full.headers[h] for h in CACHING_HEADERS
    }


@pytest.mark.parametrize("cache_enabled", [True, False])
async def test_a_304_from_a_fresh_worker_carries_the_200s_headers_too(
    rounds_2026: Settings, cache_enabled: bool
) -> None:
    settings = msgspec.structs.replace(rounds_2026, cache_enabled=cache_enabled)
    async with running(create_app(settings)) as (client, _):
        full = await client.get("/v1/draws/91b")
    # Another worker, which has never answered this URL: it must not invent other headers.
    async with running(create_app(settings)) as (client, _):
        again = await client.get("/v1/draws/91b", headers={"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304
    assert {h: again.headers.get(h) for h in CACHING_HEADERS} == {
        h: full.headers[h] for h in CACHING_HEADERS
    }
    assert "max-age=3600" in again.headers["cache-control"]


async def test_with_the_cache_off_a_304_runs_no_query_once_the_worker_has_answered(
    rounds_2026: Settings,
) -> None:
    cold = msgspec.structs.replace(rounds_2026, cache_enabled=False)
    async with running(create_app(cold)) as (client, pool):
        full = await client.get("/v1/draws/91b")
        reads = len(pool.reads)
        again = await client.get(
            "/v1/draws/91b", headers={"If-None-Match": f"W/{full.headers['etag']}"}
        )
        assert again.status_code == 304
        assert len(pool.reads) == reads
        assert again.headers["cache-control"] == full.headers["cache-control"]


async def test_no_accept_and_accept_star_share_one_etag_and_revalidate_each_other(
    client_2026: Client,
) -> None:
    # curl and httpx send `*/*`, Python's http.client and wrk send nothing: the same answer.
    star = await client_2026.get("/v1/draws", headers={"Accept": "*/*"})
    empty = await client_2026.get("/v1/draws", headers={"Accept": ""})
    assert star.headers["etag"] == empty.headers["etag"]
    again = await client_2026.get(
        "/v1/draws", headers={"Accept": "", "If-None-Match": star.headers["etag"]}
    )
    assert again.status_code == 304
    csv = await client_2026.get("/v1/draws", headers={"Accept": "text/csv"})
    assert csv.headers["etag"] != star.headers["etag"]
