"""/healthz, /readyz and the security headers every answer carries."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.pgproxy import PgProxy, pg_proxy


@pytest.fixture
def proxy(settings: Settings) -> Iterator[PgProxy]:
    with pg_proxy(settings.serving_database_url) as running:
        yield running


def through(settings: Settings, proxy: PgProxy) -> Settings:
    user = settings.serving_database_url.split("://", 1)[1].split("@", 1)[0].split(":")[0]
    return msgspec.structs.replace(settings, database_read_url=proxy.url(user))


async def test_healthz_answers_without_the_database_and_readyz_says_why_not_ready(
    settings: Settings, ingest: Ingest, proxy: PgProxy
) -> None:
    async with AsyncTestClient(app=create_app(through(settings, proxy))) as client:
        empty = await client.get("/readyz")
        assert empty.status_code == 503
        assert empty.headers["content-type"] == "application/problem+json"
        assert int(empty.headers["retry-after"]) > 0
        await ingest(FIXTURES / "rounds_2026.json")
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}
        proxy.cut()
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["code"] == "service_unavailable"
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        for response in (health, ready, down):
            assert response.headers["cache-control"] == "no-store"
            assert "etag" not in response.headers
        proxy.restore()


async def test_every_answer_is_nosniff_and_pages_cannot_be_framed_but_images_can(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    async with AsyncTestClient(app=create_app(settings)) as client:
        answers = {
            "json": await client.get("/v1/draws/latest"),
            "json, from the cache": await client.get("/v1/draws/latest"),
            "problem": await client.get("/v1/draws/nope"),
            "csv": await client.get("/v1/draws.csv"),
            "health": await client.get("/healthz"),
        }
        for what, response in answers.items():
            assert response.headers["x-content-type-options"] == "nosniff", what
            assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", what
            assert "x-frame-options" not in response.headers, what
        pages = {
            "docs": await client.get("/docs"),
            "graphiql": await client.get("/graphql", headers={"accept": "text/html"}),
        }
        for what, page in pages.items():
            assert page.status_code == 200, what
            assert page.headers["content-type"].startswith("text/html"), what
            policy = page.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, what
            assert "unsafe-eval" not in policy, what
            assert page.headers["x-frame-options"] == "DENY", what
            assert page.headers["x-content-type-options"] == "nosniff", what
        chart = await client.get("/v1/charts/crs.svg")
        if chart.status_code == 200:  # the charts are someone else's: absent is not our failure
            assert "x-frame-options" not in chart.headers
            assert chart.headers["x-content-type-options"] == "nosniff"
