"""Helpers for the /graphql tests: send a document, read data and error codes, count SQL."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient


async def post(
    client: AsyncTestClient,  # type: ignore[type-arg]
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(
    client: AsyncTestClient,  # type: ignore[type-arg]
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = await post(client, query, variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


class CountingPool:
    """Stands in for ``app.state.pool``: the real pool, counting the statements sent to it."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.statements: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetchval(sql, *args)


def count_statements(client: AsyncTestClient) -> CountingPool:  # type: ignore[type-arg]
    counting = CountingPool(client.app.state.pool)
    client.app.state.pool = counting
    return counting
