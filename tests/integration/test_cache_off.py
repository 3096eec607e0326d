"""With EEDRAWS_CACHE=off the cache keeps and compresses nothing: each answer is the app's own
bytes, sent as they are (compressing them anew per request would be the cold path's cost)."""

from __future__ import annotations

import msgspec
import redis.asyncio as redis

from api.app import create_app
from api.response_cache import REDIS_PREFIX
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.http import running
from tests.support.stores import StoppableRedis


async def test_with_the_cache_off_nothing_is_compressed_or_kept(
    settings: Settings, ingest: Ingest, own_redis: StoppableRedis
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    cold = msgspec.structs.replace(settings, cache_enabled=False, redis_url=own_redis.url)
    app = create_app(cold)
    async with running(app) as (client, pool):
        answers = [
            await client.get("/v1/draws?limit=50", headers={"Accept-Encoding": encoding})
            for encoding in ("br, gzip", "gzip", "identity")
        ]
        assert len(pool.reads) == 3  # each one made by the app
        again = await client.get(
            "/v1/draws?limit=50",
            headers={"Accept-Encoding": "br", "If-None-Match": answers[0].headers["etag"]},
        )
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(answers[0].content) > 1024  # big enough that the cache would compress it
    for answer in answers:
        assert "content-encoding" not in answer.headers
        assert answer.content == answers[2].content
    # One representation whatever the client accepts: one ETag, and it still revalidates.
    assert {a.headers["etag"] for a in answers} == {answers[0].headers["etag"]}
    assert again.status_code == 304
    assert len(app.state.response_cache.local) == 0
    check = redis.from_url(own_redis.url)
    kept = [k async for k in check.scan_iter(f"{REDIS_PREFIX}*")]
    await check.aclose()
    assert kept == []
