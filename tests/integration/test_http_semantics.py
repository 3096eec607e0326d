"""HTTP semantics as a client gets them over a real socket: HEAD, 405 + Allow, CORS, 414, 431."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.raw_http import raw_request
from tests.support.server import served

PAGES = ["/", "/docs", "/errors", "/errors/not_found", "/openapi.json", "/graphql", "/healthz"]
VALID_PATH = {"{number}": "411", "{slug}": "healthcare", "{snapshot_date}": "2026-04-12"}


@pytest.fixture(scope="module")
async def base(servers: Settings, template_db: str) -> AsyncIterator[str]:
    """One server for the module over tests/fixtures/rounds_2026.json in a database of its own."""
    async with database_of_its_own(
        servers, template_db, "served", [FIXTURES / "rounds_2026.json"]
    ) as loaded:
        with served(loaded, env={"EEDRAWS_RATE_LIMIT": "off"}) as url:
            yield url


@pytest.fixture
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        yield client


def get_paths(http: httpx.Client) -> list[str]:
    spec = http.get("/openapi.json").json()
    paths = []
    for path, item in spec["paths"].items():
        if "get" in item:
            for placeholder, value in VALID_PATH.items():
                path = path.replace(placeholder, value)
            assert "{" not in path, path
            paths.append(path)
    return paths


def test_head_answers_wherever_get_does_with_the_same_headers_and_no_body(
    http: httpx.Client,
) -> None:
    paths = get_paths(http) + PAGES
    assert len(paths) > 30
    for path in paths:
        got = http.get(path)
        head = http.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "etag", "cache-control"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_unsupported_methods_are_405_problems_that_say_what_is_allowed(
    http: httpx.Client,
) -> None:
    for path in [*get_paths(http)[:12], "/docs", "/errors/not_found"]:
        for method in ("DELETE", "PUT", "PATCH", "TRACE", "POST"):
            answer = http.request(method, path)
            assert answer.status_code == 405, (method, path)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["code"] == "method_not_allowed"
            allowed = {m.strip() for m in answer.headers["allow"].split(",")}
            assert {"GET", "HEAD", "OPTIONS"} <= allowed, (method, path, allowed)
            assert method not in allowed


def test_options_says_what_is_allowed_and_answers_cors_preflights(http: httpx.Client) -> None:
    plain = http.options("/v1/draws")
    assert plain.status_code == 204
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in plain.headers["allow"].split(",")}
    preflight = http.options(
        "/v1/draws/411",
        headers={
            "Origin": "https://news.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()
    simple = http.get("/v1/draws/411", headers={"Origin": "https://news.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "ETag" in simple.headers["access-control-expose-headers"]


def test_an_over_long_url_is_a_414_problem(base: str) -> None:
    query = "category=" + "a" * 20_000
    status, headers, body = raw_request(
        base, f"GET /v1/draws?{query} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    assert b'"code":"uri_too_long"' in body


def test_beyond_granians_own_limit_a_url_gets_its_bare_414(base: str) -> None:
    # granian answers before the app for a request line over 64 KB: status and no body
    # (docs/errors.md says so). What matters is that the client gets a 414, quickly.
    status, _, body = raw_request(
        base,
        f"GET /v1/draws?x={'a' * 70_000} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode(),
    )
    assert status == 414
    assert body == b""


def test_graphql_gets_keep_their_own_document_limit_not_the_rest_url_limit(
    http: httpx.Client,
) -> None:
    query = "{ status { draws } }" + " " * 30_000
    answer = http.get("/graphql", params={"query": query})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"status": {"draws": 14}}


@pytest.mark.parametrize(
    "headers",
    [
        f"X-Big: {'b' * 20_000}\r\n",
        "".join(f"X-Part-{i}: {'p' * 2000}\r\n" for i in range(20)),
    ],
    ids=["one huge header", "headers too large in total"],
)
def test_over_large_headers_are_a_431_problem(base: str, headers: str) -> None:
    status, answer, body = raw_request(
        base, f"GET /v1/draws HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{headers}\r\n".encode()
    )
    assert status == 431
    assert answer["content-type"] == "application/problem+json"
    assert b'"code":"headers_too_large"' in body


def test_beyond_granians_header_count_the_client_gets_its_bare_431(base: str) -> None:
    many = "".join(f"X-H{i}: v\r\n" for i in range(120))
    status, _, body = raw_request(
        base, f"GET /v1/draws HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{many}\r\n".encode()
    )
    assert status == 431
    assert body == b""
