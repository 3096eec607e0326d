"""The rate limiter charges /graphql by the cost the GraphQL layer computes, end to end."""

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
# 500 nodes: 1 charged up front, 500 // 100 = 5 more once it ran.
COSTLY = "{ draws(first: 500) { nodes { number } } }"


def remaining(response: Any) -> int:
    return int(response.headers["ratelimit"].split(";r=")[1].split(";")[0])


async def test_a_costly_graphql_query_uses_more_of_the_clients_budget(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    # A day-long window cannot roll over between the requests; a client of its own.
    limited = msgspec.structs.replace(settings, rate_limit="1000/day", trusted_proxy_hops=1)
    me = {"x-forwarded-for": f"203.0.113.{uuid.uuid4().int % 250}, {uuid.uuid4()}"}
    async with AsyncTestClient(app=create_app(limited)) as client:
        answers = []
        for query in (CHEAP, COSTLY, CHEAP):
            response = await client.post("/graphql", json={"query": query}, headers=me)
            assert response.status_code == 200, response.text
            answers.append(response)
    costly = answers[1].json()["extensions"]["cost"]["requested"]
    assert costly == 500
    first, second, third = map(remaining, answers)
    assert first - second == 1  # the costly one's extra is charged after it answered
    assert second - third == 1 + costly // GRAPHQL_COST_PER_REQUEST
