"""The per-client rate limit: shared through Redis, in front of the cache, with IETF headers."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.edge import Edge
from api.ratelimit import COST_STATE_KEY, ClientAddress, RateLimiter, parse_rate_limit
from api.settings import Settings, SettingsError
from tests.support.db import FIXTURES, Ingest

# Windows are aligned to the clock; a day-long one keeps a test from straddling a boundary.
LIMIT = 5


@pytest.fixture
async def loaded(settings: Settings, ingest: Ingest) -> Settings:
    await ingest(FIXTURES / "rounds_2026.json")
    return msgspec.structs.replace(settings, rate_limit=f"{LIMIT}/day", trusted_proxy_hops=1)


def a_client() -> dict[str, str]:
    """A client of its own (one Redis serves every test): behind one trusted proxy."""
    return {"x-forwarded-for": f"198.51.100.{uuid.uuid4().int % 250}, {uuid.uuid4()}"}


def remaining(response: Any) -> int:
    field = response.headers["ratelimit"]
    return int(field.split(";r=")[1].split(";")[0])


async def test_cached_answers_count_and_the_one_over_the_limit_is_a_429_with_retry_after(
    loaded: Settings,
) -> None:
    client_headers = a_client()
    async with AsyncTestClient(app=create_app(loaded)) as client:
        seen = []
        for _ in range(LIMIT):
            response = await client.get("/v1/draws/latest", headers=client_headers)
            assert response.status_code == 200
            assert response.headers["ratelimit-policy"] == f'"default";q={LIMIT};w=86400'
            seen.append(remaining(response))
        assert seen == list(range(LIMIT - 1, -1, -1))
        refused = await client.get("/v1/draws/latest", headers=client_headers)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert 0 < int(refused.headers["retry-after"]) <= 86400
        assert remaining(refused) == 0
        for probe in ("/healthz", "/readyz"):
            assert (await client.get(probe, headers=client_headers)).status_code == 200
        other = await client.get(
            "/v1/draws/latest", headers={**a_client(), "origin": "https://example.org"}
        )
        assert other.status_code == 200
        # A script on another origin may read the budget and when to come back.
        for response in (refused, other):
            exposed = response.headers["access-control-expose-headers"].lower()
            assert "ratelimit" in exposed and "retry-after" in exposed


async def test_workers_and_replicas_share_one_budget_through_redis(loaded: Settings) -> None:
    client_headers = a_client()
    async with (
        AsyncTestClient(app=create_app(loaded)) as one,
        AsyncTestClient(app=create_app(loaded)) as two,
    ):
        for i in range(LIMIT):
            app = one if i % 2 else two
            assert (await app.get("/v1/categories", headers=client_headers)).status_code == 200
        assert (await one.get("/v1/categories", headers=client_headers)).status_code == 429
        assert (await two.get("/v1/categories", headers=client_headers)).status_code == 429


async def test_with_redis_down_each_worker_still_limits_and_logs_it_once(
    loaded: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = msgspec.structs.replace(loaded, redis_url="unix:///nonexistent/redis.sock")
    client_headers = a_client()
    with caplog.at_level(logging.WARNING):
        async with AsyncTestClient(app=create_app(down)) as client:
            statuses = [
                (await client.get("/v1/status", headers=client_headers)).status_code
                for _ in range(LIMIT + 3)
            ]
    assert statuses == [200] * LIMIT + [429] * 3
    lines = [r for r in caplog.records if "rate limiting" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]


async def test_x_forwarded_for_is_ignored_unless_a_proxy_is_trusted(loaded: Settings) -> None:
    untrusted = msgspec.structs.replace(loaded, trusted_proxy_hops=0, redis_url="")
    async with AsyncTestClient(app=create_app(untrusted)) as client:
        statuses = [
            (await client.get("/v1/status", headers=a_client())).status_code
            for _ in range(LIMIT + 1)
        ]
    # A client writing a new X-Forwarded-For each time is still one client.
    assert statuses[-1] == 429


def test_the_client_is_the_entry_the_outermost_trusted_proxy_added() -> None:
    scope = {"client": ("10.0.0.2", 1234), "headers": [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4")]}
    assert ClientAddress(0)(scope) == "10.0.0.2"
    assert ClientAddress(1)(scope) == "1.2.3.4"
    assert ClientAddress(2)(scope) == "6.6.6.6"
    assert ClientAddress(5)(scope) == "6.6.6.6"


def test_the_setting_reads_limits_syntax_and_off() -> None:
    assert Settings().rate_limit == "1000/minute"
    assert Settings.from_env({}).rate_limit == "1000/minute"
    item = parse_rate_limit("1000/minute")
    assert item is not None and item.amount == 1000 and item.get_expiry() == 60
    assert parse_rate_limit("off") is None
    with pytest.raises(SettingsError):
        parse_rate_limit("lots")


async def test_graphql_is_charged_by_the_cost_it_leaves_on_the_scope() -> None:
    async def costly(scope: Any, receive: Any, send: Any) -> None:
        scope["state"][COST_STATE_KEY] = 450  # what api/graphql's cost analysis publishes
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limiter = RateLimiter(parse_rate_limit("100/day"))  # type: ignore[arg-type]
    edge = Edge(costly, db=lambda: None, limiter=limiter)
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"host", b"eedraws.test")],
        "client": ("192.0.2.7", 1),
    }
    await edge(dict(scope), receive, send)
    await edge(dict(scope), receive, send)
    starts = [dict(m["headers"]) for m in sent if m["type"] == "http.response.start"]
    # First request: 1 charged up front (99 left), then 450 // 100 = 4 more after it ran.
    assert starts[0][b"ratelimit"] == b'"default";r=99;t=' + starts[0][b"ratelimit"].split(b"t=")[1]
    assert starts[1][b"ratelimit"].startswith(b'"default";r=94;')


async def test_a_graphql_query_costs_its_cost_against_the_budget(loaded: Settings) -> None:
    settings = msgspec.structs.replace(loaded, rate_limit="100000/day")
    client_headers = a_client()
    query = "{ draws(first: 300) { edges { node { number date } } } }"
    async with AsyncTestClient(app=create_app(settings)) as client:
        first = await client.post("/graphql", json={"query": query}, headers=client_headers)
        assert first.status_code == 200, first.text
        cost = first.json()["extensions"]["cost"]["requested"]
        assert cost >= 300
        after_first = remaining(first)  # the up-front charge of 1 only
        probe = await client.get("/v1/status", headers=client_headers)
        assert remaining(probe) == after_first - cost // 100 - 1
