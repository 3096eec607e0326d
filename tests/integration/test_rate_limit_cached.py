"""A cached GraphQL answer is charged the cost of its first making, not 1 (issue 13).

Real PostgreSQL and Redis, as tests/integration/test_rate_limit.py: the budget is counted in
Redis, and the cost travels with the cached answer through Redis to another worker.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.ratelimit import GRAPHQL_COST_PER_REQUEST
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest

CHEAP = "{ latestDraw { number } }"
# A document of its own per test (a comment differs): the first request of each test makes it.
COSTLY = "{ draws(first: 500) { nodes { number } } } # %s"


def remaining(response: Any) -> int:
    return int(response.headers["ratelimit"].split(";r=")[1].split(";")[0])


def a_client() -> dict[str, str]:
    """A client of its own (one Redis serves every test): behind one trusted proxy."""
    return {"x-forwarded-for": f"203.0.113.{uuid.uuid4().int % 250}, {uuid.uuid4()}"}


async def limited(settings: Settings, ingest: Ingest, limit: int) -> Settings:
    await ingest(FIXTURES / "rounds_2026.json")
    # A day-long window cannot roll over between the requests.
    return msgspec.structs.replace(settings, rate_limit=f"{limit}/day", trusted_proxy_hops=1)


async def test_a_cached_graphql_answer_costs_what_it_cost_when_it_was_made(
    settings: Settings, ingest: Ingest
) -> None:
    app = create_app(await limited(settings, ingest, 1000))
    me = a_client()
    costly = {"query": COSTLY % uuid.uuid4()}
    async with AsyncTestClient(app=app) as client:
        made = await client.post("/graphql", json=costly, headers=me)
        cached = await client.post("/graphql", json=costly, headers=me)
        after = await client.post("/graphql", json={"query": CHEAP}, headers=me)
    for response in (made, cached, after):
        assert response.status_code == 200, response.text
    assert cached.content == made.content
    assert cached.headers["etag"] == made.headers["etag"]
    cost = made.json()["extensions"]["cost"]["requested"]
    assert cost == 500
    extra = cost // GRAPHQL_COST_PER_REQUEST
    # Made: 1 up front, the extra once it ran. Cached: all of it up front, before answering.
    assert remaining(made) - remaining(cached) == extra + 1 + extra
    assert remaining(cached) - remaining(after) == 1


async def test_the_cost_travels_with_the_answer_to_a_worker_that_reads_it_from_redis(
    settings: Settings, ingest: Ingest
) -> None:
    loaded = await limited(settings, ingest, 1000)
    me = a_client()
    costly = {"query": COSTLY % uuid.uuid4()}
    async with AsyncTestClient(app=create_app(loaded)) as one:
        made = await one.post("/graphql", json=costly, headers=me)
    # Another worker: nothing in its memory, the answer in Redis.
    async with AsyncTestClient(app=create_app(loaded)) as two:
        shared = await two.post("/graphql", json=costly, headers=me)
        after = await two.post("/graphql", json={"query": CHEAP}, headers=me)
    assert shared.status_code == 200 and shared.content == made.content
    extra = made.json()["extensions"]["cost"]["requested"] // GRAPHQL_COST_PER_REQUEST
    assert extra == 5
    # made's extra, shared's 1 up front, shared's extra (after it answered), after's 1.
    assert remaining(made) - remaining(after) == extra + 1 + extra + 1


async def test_a_cached_answer_costing_more_than_is_left_is_refused(
    settings: Settings, ingest: Ingest
) -> None:
    app = create_app(await limited(settings, ingest, 10))
    me = a_client()
    costly = {"query": COSTLY % uuid.uuid4()}
    async with AsyncTestClient(app=app) as client:
        made = await client.post("/graphql", json=costly, headers=me)
        assert made.status_code == 200, made.text  # 1 + 5: 6 of 10 used
        again = await client.post("/graphql", json=costly, headers=me)
    # Another 6 would be 12 of 10: refused, though the answer is at hand.
    assert again.status_code == 429
    assert again.json()["code"] == "rate_limited"
    assert remaining(again) == 0


async def test_a_revalidated_graphql_answer_costs_1_as_no_body_is_sent(
    settings: Settings, ingest: Ingest
) -> None:
    loaded = await limited(settings, ingest, 1000)
    me = a_client()
    costly = {"query": COSTLY % uuid.uuid4()}
    async with AsyncTestClient(app=create_app(loaded)) as one:
        made = await one.post("/graphql", json=costly, headers=me)
        etag = {**me, "if-none-match": made.headers["etag"]}
        here = await one.post("/graphql", json=costly, headers=etag)
    # A worker that never answered it: it reads the answer (from Redis) first; still 1.
    async with AsyncTestClient(app=create_app(loaded)) as two:
        fresh = await two.post("/graphql", json=costly, headers=etag)
        after = await two.post("/graphql", json={"query": CHEAP}, headers=me)
    assert [here.status_code, fresh.status_code] == [304, 304]
    extra = made.json()["extensions"]["cost"]["requested"] // GRAPHQL_COST_PER_REQUEST
    assert remaining(made) - remaining(here) == extra + 1
    assert remaining(here) - remaining(fresh) == 1
    assert remaining(fresh) - remaining(after) == 1
