"""Absolute links come from one origin, and invented Hosts cannot multiply cache entries
(issue 19, item 1), through served instances with raw sockets (a client library would send
one well-formed Host of its own choosing).

With ``EEDRAWS_PUBLIC_URL`` the feeds link there whatever ``Host`` a request carries, and no
cache key holds the Host. Without it (``make run``), a feed links to the origin it was asked
at, and is kept for at most ``MAX_ORIGINS`` origins; every other answer is one entry.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import feedparser
import pytest
import redis

from api.response_cache import REDIS_PREFIX
from api.response_cache.layer import MAX_ORIGINS
from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.raw_http import raw_get
from tests.support.server import served

PUBLIC = "https://eedraws.example"
INVENTED = [f"h{n}.invented.example".encode() for n in range(12)]


class Served:
    def __init__(self, base: str, settings: Settings, store_id: str) -> None:
        self.base, self.settings, self.store_id = base, settings, store_id

    def get(self, target: str, host: bytes) -> tuple[int, dict[str, str], bytes]:
        return raw_get(self.base, target.encode(), b"Host: " + host + b"\r\n")

    def stored_keys(self, target: str) -> list[str]:
        """The response cache's Redis keys for ``target`` (a path and a sorted query)."""
        path, _, query = target.partition("?")
        client = redis.Redis.from_url(self.settings.redis_url)
        try:
            pattern = f"{REDIS_PREFIX}{self.store_id}|*"
            keys = [k.decode() for k in client.scan_iter(match=pattern, count=1000)]
        finally:
            client.close()
        return [k for k in keys if k.split("|")[3:5] == [path, query]]


async def _serving(
    servers: Settings, template_db: str, purpose: str, env: dict[str, str]
) -> AsyncIterator[Served]:
    async with database_of_its_own(
        servers, template_db, purpose, [FIXTURES / "rounds_2026.json"]
    ) as loaded:
        conn = await asyncpg.connect(loaded.database_url)
        try:
            store_id = await conn.fetchval("SELECT store_id::text FROM data_state")
        finally:
            await conn.close()
        with served(loaded, env={"EEDRAWS_RATE_LIMIT": "off", **env}) as base:
            yield Served(base, loaded, store_id)


@pytest.fixture(scope="module")
async def configured(servers: Settings, template_db: str) -> AsyncIterator[Served]:
    async for s in _serving(servers, template_db, "public", {"EEDRAWS_PUBLIC_URL": PUBLIC}):
        yield s


@pytest.fixture(scope="module")
async def unconfigured(servers: Settings, template_db: str) -> AsyncIterator[Served]:
    async for s in _serving(servers, template_db, "origin", {}):
        yield s


def links(answer: tuple[int, dict[str, str], bytes]) -> list[str]:
    """Every absolute link of a feed: its own, its home page's and its entries'."""
    status, headers, body = answer
    assert status == 200, body[:300]
    if headers["content-type"].startswith("application/atom+xml"):
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        found = [link.href for link in feed.feed.links]
        return found + [entry.link for entry in feed.entries]
    document: dict[str, Any] = json.loads(body)
    found = [document["home_page_url"], document["feed_url"]]
    return found + [item["url"] for item in document["items"]]


@pytest.fixture(params=["/v1/draws.atom?category=healthcare", "/v1/draws.feed.json"])
def feed(request: pytest.FixtureRequest) -> str:
    target: str = request.param
    return target


def test_with_a_public_url_feeds_link_there_whatever_the_host(
    configured: Served, feed: str
) -> None:
    for host in (b"127.0.0.1", b"evil.example", b"evil.example:8443"):
        found = links(configured.get(feed, host))
        assert len(found) > 3
        assert all(link.startswith(PUBLIC + "/") for link in found), (host, found)
    assert f"{PUBLIC}{feed}" in found


def test_with_a_public_url_invented_hosts_share_one_entry_and_one_etag(
    configured: Served,
) -> None:
    for path in ("/v1/export.zip", "/v1/draws.atom"):
        etags = {configured.get(path, host)[1]["etag"] for host in INVENTED}
        assert len(etags) == 1, path
        assert len(configured.stored_keys(path)) == 1, path


def test_without_a_public_url_a_feed_links_to_the_origin_it_was_asked_at(
    unconfigured: Served, feed: str
) -> None:
    # A request with two Hosts (one for the links, one for the key) is refused, not cached.
    two = raw_get(unconfigured.base, feed.encode(), b"Host: a.example\r\nHost: b.example\r\n")
    assert two[0] == 400
    for host in (b"a.example", b"b.example:8080", b"a.example", b"A.EXAMPLE:80"):
        origin = "http://" + host.decode().lower().removesuffix(":80")
        found = links(unconfigured.get(feed, host))
        assert all(link.startswith(origin + "/") for link in found), (host, found)


def test_without_a_public_url_invented_hosts_multiply_no_entries(unconfigured: Served) -> None:
    # A bulk answer built once per data version is built once, whatever the Host.
    etags = {unconfigured.get("/v1/export.zip", host)[1]["etag"] for host in INVENTED}
    assert len(etags) == 1
    assert len(unconfigured.stored_keys("/v1/export.zip")) == 1
    # A feed is kept for a bounded number of origins; past them it is made per request, with
    # the right links still.
    for host in INVENTED:
        found = links(unconfigured.get("/v1/draws.feed.json", host))
        assert all(link.startswith(f"http://{host.decode()}/") for link in found)
    assert 1 <= len(unconfigured.stored_keys("/v1/draws.feed.json")) <= MAX_ORIGINS
