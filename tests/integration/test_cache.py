"""The response cache and HTTP validators, against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import gzip
import time

import brotli
import msgspec
import pytest
import redis.asyncio as redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.data_version import announce_data_version
from api.response_cache import REDIS_PREFIX, CacheEntry
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.http import data_version_reaches, in_app_loop, running
from tests.support.stores import StoppableRedis
from tests.support.waiting import wait_until


@pytest.fixture
async def loaded(ingest: Ingest) -> Ingest:
    await ingest(FIXTURES / "rounds_2026.json")
    return ingest


async def test_a_cached_answer_carries_validators_and_revalidates_to_304_without_a_body(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, pool):
        first = await client.get("/v1/draws/latest")
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert first.headers["last-modified"].endswith("GMT")
        assert "Accept-Encoding" in first.headers["vary"]
        assert first.headers["cache-control"].startswith("public, max-age=")
        reads = len(pool.reads)
        again = await client.get("/v1/draws/latest", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        since = await client.get(
            "/v1/draws/latest", headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        assert since.status_code == 304
        assert len(pool.reads) == reads


async def test_a_past_round_is_cached_longer_than_the_latest_round(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, _):
        latest = await client.get("/v1/draws/latest")
        past = await client.get("/v1/draws/91b")
    assert "max-age=60" in latest.headers["cache-control"]
    assert "max-age=3600" in past.headers["cache-control"]


async def test_a_warm_answer_runs_no_query_and_is_byte_identical(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, pool):
        first = await client.get("/v1/draws?limit=5")
        reads = len(pool.reads)
        second = await client.get("/v1/draws?limit=5")
    assert reads > 0
    assert len(pool.reads) == reads
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["link"] == first.headers["link"]


async def test_parameter_order_and_defaults_share_one_cache_entry(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, pool):
        plain = await client.get("/v1/draws")
        reads = len(pool.reads)
        spelled = await client.get("/v1/draws?sort=-date&limit=50")
        reordered = await client.get("/v1/draws?limit=50&sort=-date")
    assert plain.headers["etag"] == spelled.headers["etag"] == reordered.headers["etag"]
    assert len(pool.reads) == reads


async def test_gzip_and_brotli_bodies_decode_to_the_identity_body(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, _):
        plain = await client.get("/v1/draws?limit=50", headers={"Accept-Encoding": "identity"})
        gz = await client.get("/v1/draws?limit=50", headers={"Accept-Encoding": "gzip"})
        br = await client.get("/v1/draws?limit=50", headers={"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in plain.headers
    assert gz.headers["content-encoding"] == "gzip"
    assert br.headers["content-encoding"] == "br"
    # httpx decodes gzip itself; the ETag differs per representation.
    assert gz.content == plain.content
    assert len({plain.headers["etag"], gz.headers["etag"], br.headers["etag"]}) == 3
    assert br.content == plain.content or brotli.decompress(br.content) == plain.content


async def test_a_small_body_is_sent_uncompressed(settings: Settings, loaded: Ingest) -> None:
    async with running(create_app(settings)) as (client, _):
        small = await client.get("/v1/draws/91b", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 1024
    assert "content-encoding" not in small.headers


async def test_errors_and_the_status_are_never_cached_nor_given_an_etag(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, pool):
        for _ in range(2):
            missing = await client.get("/v1/draws/999")
            status = await client.get("/v1/status")
        assert missing.status_code == 404
        assert "etag" not in missing.headers
        assert "etag" not in status.headers
        assert missing.headers["content-type"] == "application/problem+json"
        assert sum("draw_by_number" in q or "WHERE number" in q for q in pool.reads) == 2


async def test_concurrent_cold_requests_for_one_key_run_the_query_once(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, pool):
        answers = await asyncio.gather(
            *(client.get("/v1/stats/yearly?group_by=category") for _ in range(100))
        )
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(pool.reads) == 1


async def test_a_cold_worker_fills_from_redis_without_querying(
    settings: Settings, loaded: Ingest
) -> None:
    async with running(create_app(settings)) as (client, _):
        first = await client.get("/v1/stats/yearly")
    async with running(create_app(settings)) as (client, pool):
        second = await client.get("/v1/stats/yearly")
    assert second.content == first.content
    assert pool.reads == []


async def test_with_the_cache_off_every_request_queries_but_etags_still_revalidate(
    settings: Settings, loaded: Ingest
) -> None:
    cold = msgspec.structs.replace(settings, cache_enabled=False)
    async with running(create_app(cold)) as (client, pool):
        first = await client.get("/v1/draws/latest")
        await client.get("/v1/draws/latest")
        assert len(pool.reads) == 2
        again = await client.get(
            "/v1/draws/latest", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert len(pool.reads) == 2


async def test_after_an_ingest_every_replica_serves_the_new_data_within_a_second(
    settings: Settings, loaded: Ingest
) -> None:
    apps = [create_app(settings), create_app(settings)]
    async with running(apps[0]) as (one, _), running(apps[1]) as (two, _):
        versions = [app.state.response_cache.version for app in apps]
        replicas = list(zip((one, two), versions, strict=True))
        for client, version in replicas:
            in_app_loop(client, version.subscribed.wait)
        before = [await c.get("/v1/draws/latest") for c in (one, two)]
        assert {b.json()["number"] for b in before} == {"411"}
        report = await loaded(FIXTURES / "rounds_future.json")
        publisher = redis.from_url(settings.redis_url)
        await announce_data_version(publisher, report.data_version)
        await publisher.aclose()
        started = time.monotonic()
        for client, version in replicas:
            in_app_loop(client, data_version_reaches, version, report.data_version, timeout=1.0)
        after = [await c.get("/v1/draws/latest") for c in (one, two)]
        assert time.monotonic() - started < 1.0
        assert {a.json()["number"] for a in after} == {"413"}
        assert after[0].headers["etag"] != before[0].headers["etag"]


async def test_redis_stopped_mid_run_means_answers_from_postgresql_and_refill_after(
    settings: Settings, loaded: Ingest, own_redis: StoppableRedis
) -> None:
    local_only = msgspec.structs.replace(settings, redis_url=own_redis.url, cache_max_entries=1)
    app = create_app(local_only)
    shared = app.state.response_cache.shared
    shared.RETRY_AFTER = 0.2  # the circuit breaker's pause, shortened for the test
    async with running(app) as (client, _):
        assert (await client.get("/v1/categories")).status_code == 200
        own_redis.stop()
        # LRU of one entry: each of these misses locally and must cope without Redis.
        answers = [await client.get(p) for p in ("/v1/pool", "/v1/categories", "/v1/draws")]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert not shared.available
        own_redis.start()
        wait_until(lambda: shared.available, 2, "the circuit breaker never closed")
        assert (await client.get("/v1/stats/yearly")).status_code == 200
        check = redis.from_url(own_redis.url)
        keys = [k async for k in check.scan_iter(f"{REDIS_PREFIX}*")]
        await check.aclose()
    assert any(b"/v1/stats/yearly" in k for k in keys)


def test_compressed_variants_are_made_once_and_kept() -> None:
    entry = CacheEntry(200, [], b"x" * 5000)
    first = entry.variant("gzip")
    assert entry.variant("gzip") is first
    assert gzip.decompress(first) == entry.body


async def test_an_xlsx_is_not_compressed_again(settings: Settings, loaded: Ingest) -> None:
    async with running(create_app(settings)) as (client, _):
        xlsx = await client.get("/v1/draws.xlsx", headers={"Accept-Encoding": "br, gzip"})
    assert xlsx.status_code == 200
    assert "content-encoding" not in xlsx.headers
    assert xlsx.content.startswith(b"PK")


async def test_a_huge_query_string_skips_the_cache_and_gets_the_apps_answer(
    client_2026: AsyncTestClient[Litestar],
) -> None:
    client = client_2026
    answer = await client.get("/v1/draws?" + "x=1&" * 3000)
    assert answer.status_code == 400
    assert "etag" not in answer.headers
    assert answer.json()["code"] == "invalid_parameter"
