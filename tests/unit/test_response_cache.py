"""The response cache decides by what an answer says (status, headers), not by who made it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.app import create_app
from api.data_version import DataVersion
from api.edge import Edge
from api.response_cache import LocalLRU, RedisTier, ResponseCache, cacheable_post_paths
from api.settings import Settings


class Answers:
    """An ASGI app that answers every request with one fixed response, counting the calls."""

    def __init__(self, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.body = body
        self.headers = [(b"content-type", b"application/json"), *headers]
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def cache_in_front_of(app: Answers, cacheable_posts: frozenset[str] = frozenset()) -> Edge:
    version = DataVersion()
    version.set(1, dt.datetime(2026, 4, 15, tzinfo=dt.UTC), "store")
    cache = ResponseCache(
        enabled=True,
        local=LocalLRU(16),
        shared=RedisTier(None),
        version=version,
        query_defaults={},
        cacheable_posts=cacheable_posts,
    )
    return Edge(app, db=lambda: None, cache=cache)


async def request(cache: Edge, method: str, path: str, body: bytes = b"") -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"eedraws.test"), (b"content-type", b"application/json")],
    }
    await cache(scope, receive, send)
    status: int = sent[0]["status"]
    return status


@pytest.mark.parametrize(
    ("headers", "calls"),
    [([], 1), ([(b"cache-control", b"no-store")], 2), ([(b"cache-control", b"private")], 2)],
)
async def test_an_answer_is_kept_unless_its_headers_say_not_to(
    headers: list[tuple[bytes, bytes]], calls: int
) -> None:
    # A body that looks like a GraphQL error is no reason by itself: the header is.
    app = Answers(b'{"errors": [{"message": "x"}]}', headers)
    cache = cache_in_front_of(app)
    for _ in range(2):
        assert await request(cache, "GET", "/anything") == 200
    assert app.calls == calls


async def test_a_post_is_cached_only_on_a_route_that_declares_it() -> None:
    app = Answers(b'{"data": {}}', [])
    cache = cache_in_front_of(app, cacheable_posts=frozenset({"/ask"}))
    for path in ("/ask", "/ask", "/other", "/other"):
        assert await request(cache, "POST", path, b'{"query": "{ a }"}') == 200
    assert app.calls == 3


def test_graphql_is_the_one_route_that_declares_its_post_a_read() -> None:
    app = create_app(Settings())
    assert cacheable_post_paths(app.routes) == {"/graphql"}
