"""Hostile documents get a GraphQL error with a code, never a 500, in milliseconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import get_introspection_query
from litestar.testing import AsyncTestClient

from api.graphql import limits
from tests.support.graphql import codes

Client = AsyncTestClient  # type: ignore[type-arg]
# A refusal costs a few milliseconds of CPU; the unbounded cases these pin down took 1.3 s to
# minutes of it. Measured as this process's CPU time (the test client runs the app in a thread
# of it), not wall-clock time: a machine at a load average of 10 stretched a wall-clock refusal
# past 0.5 s, while the work it measures stays the same.
FAST_SECONDS = 1.0


def cpu_seconds() -> float:
    return time.process_time()


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


async def timed_post(client: Client, body: Any) -> tuple[int, dict[str, Any], float]:
    started = cpu_seconds()
    response = await client.post("/graphql", json=body)
    return response.status_code, response.json(), cpu_seconds() - started


def nested(levels: int) -> str:
    query = "number"
    for _ in range(levels):
        query = f"poolSnapshot {{ draws {{ {query} }} }}"
    return f"{{ latestDraw {{ {query} }} }}"


async def test_nesting_deeper_than_the_limit_is_refused_before_execution(loaded: Client) -> None:
    assert codes((await timed_post(loaded, {"query": nested(4)}))[1]) == []
    status, body, seconds = await timed_post(loaded, {"query": nested(6)})
    assert (status, codes(body)) == (400, ["MAX_DEPTH_EXCEEDED"])
    assert f"maximum operation depth of {limits.MAX_DEPTH}" in body["errors"][0]["message"]
    assert body["data"] is None and seconds < FAST_SECONDS


async def test_more_aliases_than_the_limit_are_refused(loaded: Client) -> None:
    allowed = " ".join(f"a{i}: status {{ draws }}" for i in range(limits.MAX_ALIASES))
    assert codes((await timed_post(loaded, {"query": f"{{ {allowed} }}"}))[1]) == []
    over = f"{{ {allowed} extra: status {{ draws }} }}"
    status, body, _ = await timed_post(loaded, {"query": over})
    assert (status, codes(body)) == (400, ["MAX_ALIASES_EXCEEDED"])


async def test_a_thousand_aliases_are_refused_quickly(loaded: Client) -> None:
    query = "{ " + " ".join(f"a{i}: status {{ draws }}" for i in range(1000)) + " }"
    status, body, seconds = await timed_post(loaded, {"query": query})
    # 6,000 tokens: parsing stops at the token limit, before aliases are even counted.
    assert (status, codes(body)) == (400, ["MAX_TOKENS_EXCEEDED"])
    assert seconds < FAST_SECONDS


async def test_a_document_over_the_token_limit_is_not_parsed_to_the_end(loaded: Client) -> None:
    query = "{ status { " + "draws " * limits.MAX_TOKENS + "} }"
    status, body, seconds = await timed_post(loaded, {"query": query})
    assert (status, codes(body)) == (400, ["MAX_TOKENS_EXCEEDED"])
    assert seconds < FAST_SECONDS


async def test_first_of_100000_is_bad_user_input(loaded: Client) -> None:
    status, body, seconds = await timed_post(
        loaded, {"query": "{ draws(first: 100000) { totalCount } }"}
    )
    assert (status, codes(body)) == (400, ["BAD_USER_INPUT"])
    assert body["data"] is None and seconds < FAST_SECONDS


async def test_a_one_megabyte_post_is_refused_without_being_read(loaded: Client) -> None:
    query = "{ status { draws } }" + " " * 1_000_000
    status, body, seconds = await timed_post(loaded, {"query": query})
    assert (status, codes(body)) == (400, ["DOCUMENT_TOO_LARGE"])
    assert seconds < FAST_SECONDS


async def test_a_document_over_the_size_limit_is_refused_before_parsing(loaded: Client) -> None:
    query = "{ status { draws } }" + " " * limits.MAX_DOCUMENT_BYTES
    status, body, _ = await timed_post(loaded, {"query": query})
    assert (status, codes(body)) == (400, ["DOCUMENT_TOO_LARGE"])
    assert "was not parsed" in body["errors"][0]["message"]


async def test_a_one_megabyte_get_is_refused_before_parsing(
    loaded: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpx stops at 64 KB URLs; curl and the ASGI servers send longer ones.
    monkeypatch.setattr("httpx._urlparse.MAX_URL_LENGTH", 10_000_000)
    query = "{ status { draws } }" + " " * 1_000_000
    request = loaded.build_request("GET", "/graphql", params={"query": query})
    started = cpu_seconds()
    response = await loaded.send(request)
    seconds = cpu_seconds() - started
    assert (response.status_code, codes(response.json())) == (400, ["DOCUMENT_TOO_LARGE"])
    assert seconds < FAST_SECONDS


async def test_a_get_under_the_size_limit_with_a_long_query_string_still_answers(
    loaded: Client,
) -> None:
    query = "{ status { draws } }" + " " * (limits.MAX_DOCUMENT_BYTES // 2)
    response = await loaded.get("/graphql", params={"query": query})
    assert response.json()["data"] == {"status": {"draws": 14}}


async def test_introspection_is_on_and_within_every_limit(loaded: Client) -> None:
    status, body, _ = await timed_post(loaded, {"query": get_introspection_query(True)})
    assert status == 200 and "errors" not in body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Draw", "Category", "PoolSnapshot", "DrawConnection", "DrawSort"} <= names
