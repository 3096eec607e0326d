"""Input that is not what /graphql expects is a coded 400, never a 500; an outage is a 503.

Each case here was a 500 (or a 200 hiding an internal error) before; docs/graphql.md lists
the codes and statuses.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.graphql import codes

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


async def send(client: Client, body: bytes | str) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("body", ["42", '"x"', "null", "true", "[]", "3.5"])
async def test_a_json_body_that_is_not_an_object_is_a_bad_request(
    loaded: Client, body: str
) -> None:
    status, answer = await send(loaded, body)
    assert (status, codes(answer)) == (400, ["BAD_REQUEST"])


@pytest.mark.parametrize("key", ["variables", "extensions"])
@pytest.mark.parametrize("depth", [1000, 50_000])
async def test_json_nested_deep_in_variables_or_extensions_is_a_bad_request(
    loaded: Client, key: str, depth: int
) -> None:
    deep = "[" * depth + "]" * depth
    body = f'{{"query": "{{ status {{ draws }} }}", "{key}": {{"a": {deep}}}}}'
    status, answer = await send(loaded, body)
    assert (status, codes(answer)) == (400, ["BAD_REQUEST"])


async def test_json_nested_deep_under_the_decoder_limit_is_answered(loaded: Client) -> None:
    deep = "[" * 200 + "]" * 200
    query = "query($a: String) { latestDraw(category: $a) { number } }"
    body = json.dumps({"query": query, "variables": {"b": "x"}})[:-1]
    body += f', "extensions": {{"a": {deep}}}}}'
    status, answer = await send(loaded, body)
    assert (status, codes(answer)) == (200, [])


@pytest.mark.parametrize(
    "query",
    [
        '{ latestDraw(category: "\\u0000") { number } }',
        '{ category(slug: "a\\u0000b") { slug } }',
        '{ draws(filter: {categories: ["\\u0000"]}) { totalCount } }',
        '{ draw(number: "385\\u0000") { number } }',
    ],
)
async def test_a_nul_in_a_string_argument_is_bad_user_input(loaded: Client, query: str) -> None:
    status, answer = await send(loaded, json.dumps({"query": query}))
    assert (status, codes(answer)) == (400, ["BAD_USER_INPUT"])
    assert "NUL" in answer["errors"][0]["message"]


@pytest.mark.parametrize(
    "variables",
    [{"s": "\u0000"}, {"s": "ok", "unused": {"deep": ["x\u0000"]}}, {"s\u0000": "ok"}],
)
async def test_a_nul_in_a_variable_is_bad_user_input(
    loaded: Client, variables: dict[str, Any]
) -> None:
    query = "query($s: String!) { category(slug: $s) { slug } }"
    status, answer = await send(loaded, json.dumps({"query": query, "variables": variables}))
    assert (status, codes(answer)) == (400, ["BAD_USER_INPUT"])


def forged_cursor(sort: str, key: str, seq: int) -> str:
    raw = json.dumps([sort, key, seq]).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("sort", "key", "seq"),
    [
        ("-date", "2020-01-01", 2**31),
        ("-date", "2020-01-01", -(2**31) - 1),
        ("crs_min", str(2**31), 1),
        ("-invitations", "9" * 40, 1),
    ],
)
async def test_a_cursor_whose_numbers_overflow_is_bad_user_input(
    loaded: Client, sort: str, key: str, seq: int
) -> None:
    enum = {"-date": "DATE_DESC", "crs_min": "CRS_MIN_ASC", "-invitations": "INVITATIONS_DESC"}
    cursor = forged_cursor(sort, key, seq)
    for query in (
        f'{{ draws(sort: {enum[sort]}, after: "{cursor}") {{ totalCount }} }}',
        f'{{ category(slug: "healthcare") {{ draws(sort: {enum[sort]}, after: "{cursor}")'
        " { nodes { number } } } }",
    ):
        status, answer = await send(loaded, json.dumps({"query": query}))
        assert codes(answer) == ["BAD_USER_INPUT"], answer
        assert status == (400 if answer["data"] is None else 200)


async def test_a_nul_in_a_graphiql_asset_path_is_not_a_server_error(loaded: Client) -> None:
    response = await loaded.get("/graphql/assets/a%00")
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/problem+json")


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class UnreachablePool:
    """The app's serving pool (api.db.ServingDb) to a port nothing listens on: PostgreSQL is
    down. Made on first use, in the app's event loop (the test client runs the app in its own).
    """

    def __init__(self) -> None:
        self.url = f"postgresql://postgres@127.0.0.1:{unused_port()}/eedraws"
        self.pool: db.ServingDb | None = None

    async def _pool(self) -> db.ServingDb:
        if self.pool is None:
            self.pool = db.ServingDb(await asyncpg.create_pool(self.url, min_size=0))
        return self.pool

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await (await self._pool()).fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await (await self._pool()).fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await (await self._pool()).fetchval(sql, *args)


async def test_an_unreachable_database_is_a_503_with_retry_after(loaded: Client) -> None:
    real = loaded.app.state.pool
    loaded.app.state.pool = UnreachablePool()
    try:
        response = await loaded.post(
            "/graphql", json={"query": "{ latestDraw { number } status { draws } }"}
        )
    finally:
        loaded.app.state.pool = real
    body = response.json()
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert set(codes(body)) == {"SERVICE_UNAVAILABLE"}
    assert {e["extensions"]["retryAfter"] for e in body["errors"]} == {
        int(response.headers["retry-after"])
    }
    assert "127.0.0.1" not in response.text
    # Back up: answered again, without a restart.
    again = await loaded.post("/graphql", json={"query": "{ status { draws } }"})
    assert (again.status_code, again.json()["data"]) == (200, {"status": {"draws": 14}})


async def test_a_request_over_its_time_budget_is_a_coded_503_and_stops(
    settings: Settings, ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    hurried = msgspec.structs.replace(settings, graphql_timeout=1e-6)
    async with AsyncTestClient(app=create_app(hurried)) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ draws(first: 500) { nodes { number poolSnapshot { total } } } }"},
        )
        assert response.status_code == 503
        assert codes(response.json()) == ["QUERY_TIMEOUT"]
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["cache-control"] == "no-store"
        # Nothing of it is left running in PostgreSQL: asyncpg cancels the statement (the
        # cancel request is sent on its own connection, so it may take a moment to land).
        # A budget this short may expire while asyncpg prepares the statement: the backend then
        # shows it 'active' but waits for the client (ClientRead), running nothing.
        running = []
        for _ in range(50):
            running = await conn.fetch(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%draws_v%'"
                " AND wait_event IS DISTINCT FROM 'ClientRead'"
            )
            if not running:
                break
            await asyncio.sleep(0.1)
        assert running == []
