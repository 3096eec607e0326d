"""Talking to /graphql: send a document, read its data or its error codes."""

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


async def answer(
    client: AsyncTestClient,  # type: ignore[type-arg]
    query: str,
    variables: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the body, whatever the status."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return response.status_code, body


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
