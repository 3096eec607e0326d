"""/graphql over HTTP: GET, automatic persisted queries, GraphiQL with no CDN, request errors."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Any

import pytest
import redis.asyncio as redis
from litestar.testing import AsyncTestClient

from api.graphql.persisted import PersistedQueries
from api.settings import Settings
from tests.support.graphql import codes

Client = AsyncTestClient  # type: ignore[type-arg]
LATEST = "{ latestDraw { number crsMin } }"


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


def apq(sha256: str, version: int = 1) -> str:
    return json.dumps({"persistedQuery": {"version": version, "sha256Hash": sha256}})


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def get(client: Client, **params: str) -> tuple[int, dict[str, Any], Any]:
    response = await client.get("/graphql", params=params, headers={"Accept": "application/json"})
    return response.status_code, response.json(), response.headers


async def test_get_runs_a_query_with_variables_like_post(loaded: Client) -> None:
    query = "query($n: String!) { draw(number: $n) { date crsMin } }"
    status, body, _ = await get(loaded, query=query, variables='{"n": "91b"}')
    posted = await loaded.post("/graphql", json={"query": query, "variables": {"n": "91b"}})
    assert status == 200 and body == posted.json()
    assert body["data"] == {"draw": {"date": "2018-05-30", "crsMin": 902}}
    assert "errors" not in body


async def test_get_refuses_an_unknown_parameter_and_names_the_accepted_ones(
    loaded: Client,
) -> None:
    status, body, headers = await get(loaded, query=LATEST, qeury=LATEST)
    assert (status, codes(body)) == (400, ["BAD_REQUEST"])
    assert "'qeury'" in body["errors"][0]["message"]
    assert "operationName" in body["errors"][0]["message"]
    assert headers["cache-control"] == "no-store"


async def test_variables_that_are_not_json_are_a_bad_request(loaded: Client) -> None:
    status, body, _ = await get(loaded, query=LATEST, variables="{n: 1")
    assert (status, codes(body)) == (400, ["BAD_REQUEST"])


async def test_a_body_that_is_not_json_is_a_bad_request(loaded: Client) -> None:
    response = await loaded.post(
        "/graphql", content=b"{query", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, codes(response.json())) == (400, ["BAD_REQUEST"])


async def test_a_request_without_a_query_is_a_bad_request(loaded: Client) -> None:
    response = await loaded.post("/graphql", json={"variables": {}})
    assert (response.status_code, codes(response.json())) == (400, ["BAD_REQUEST"])


async def test_a_variable_of_the_wrong_type_is_bad_user_input(loaded: Client) -> None:
    response = await loaded.post(
        "/graphql",
        json={
            "query": "query($f: Int!) { draws(first: $f) { totalCount } }",
            "variables": {"f": "x"},
        },
    )
    assert codes(response.json()) == ["BAD_USER_INPUT"]


async def test_an_unknown_field_is_a_validation_error_that_is_not_cached(loaded: Client) -> None:
    response = await loaded.post("/graphql", json={"query": "{ draws { count } }"})
    assert (response.status_code, codes(response.json())) == (400, ["GRAPHQL_VALIDATION_FAILED"])
    assert response.headers["cache-control"] == "no-store"


async def test_an_unknown_persisted_query_hash_asks_for_the_query(loaded: Client) -> None:
    status, body, headers = await get(loaded, extensions=apq(secrets.token_hex(32)))
    assert status == 200
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert headers["cache-control"] == "no-store"


async def test_a_persisted_query_is_registered_once_then_served_by_hash(loaded: Client) -> None:
    document = LATEST + f" # {secrets.token_hex(8)}"
    extensions = apq(sha(document))
    assert codes((await get(loaded, extensions=extensions))[1]) == ["PERSISTED_QUERY_NOT_FOUND"]
    registered = await loaded.post(
        "/graphql", json={"query": document, "extensions": json.loads(extensions)}
    )
    expected = {
        "data": {"latestDraw": {"number": "411", "crsMin": 419}},
        "extensions": {"cost": {"requested": 1, "limit": 25_000}},
    }
    assert registered.json() == expected
    status, body, headers = await get(loaded, extensions=extensions)
    assert (status, body) == (200, expected)
    assert "no-store" not in headers.get("cache-control", "")


async def test_persisted_queries_are_shared_through_redis(
    loaded: Client, servers: Settings
) -> None:
    document = LATEST + f" # {secrets.token_hex(8)}"
    status, _, _ = await get(loaded, query=document, extensions=apq(sha(document)))
    assert status == 200
    # Another worker: nothing in its own memory, the same Redis.
    client = redis.from_url(servers.redis_url)
    try:
        assert await PersistedQueries(client).get(sha(document)) == document
    finally:
        await client.aclose()


async def test_a_hash_that_is_not_the_querys_sha256_is_refused_and_not_kept(
    loaded: Client,
) -> None:
    wrong = secrets.token_hex(32)
    status, body, _ = await get(loaded, query=LATEST, extensions=apq(wrong))
    assert (status, codes(body)) == (400, ["PERSISTED_QUERY_HASH_MISMATCH"])
    assert codes((await get(loaded, extensions=apq(wrong)))[1]) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_persisted_document_that_does_not_validate_is_not_kept(loaded: Client) -> None:
    document = "{ latestDraw { shoeSize } }"
    _, body, _ = await get(loaded, query=document, extensions=apq(sha(document)))
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    _, body, _ = await get(loaded, extensions=apq(sha(document)))
    assert codes(body) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    ("extensions", "code"),
    [
        (apq(sha(LATEST), version=2), "PERSISTED_QUERY_NOT_SUPPORTED"),
        (apq("not-a-hash"), "BAD_REQUEST"),
    ],
)
async def test_malformed_persisted_query_extensions_are_refused(
    loaded: Client, extensions: str, code: str
) -> None:
    status, body, _ = await get(loaded, extensions=extensions)
    assert (status, codes(body)) == (400, [code])


async def test_persisted_queries_work_with_redis_down() -> None:
    unreachable = redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    store = PersistedQueries(unreachable)
    await store.put(sha(LATEST), LATEST)
    assert await store.get(sha(LATEST)) == LATEST
    assert await store.get(secrets.token_hex(32)) is None
    await unreachable.aclose()


async def test_graphiql_loads_from_this_api_with_no_external_url(loaded: Client) -> None:
    response = await loaded.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "GraphiQL" in page
    assert re.findall(r"https?://", page) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 5
    for asset in assets:
        served = await loaded.get(asset)
        assert served.status_code == 200, asset
        assert re.findall(rb"url\(\s*['\"]?https?://", served.content) == [], asset
