"""/v1/draws.atom and /v1/draws.feed.json as a feed reader sees them: parsed by feedparser."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any, NamedTuple

import feedparser
import pytest
import redis.asyncio as redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.data_version import announce_data_version
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.http import data_version_reaches, in_app_loop, running

Client = AsyncTestClient[Litestar]
FEEDS = ["/v1/draws.atom", "/v1/draws.feed.json"]


async def parsed(client: Client, url: str) -> Any:
    """The Atom feed as feedparser reads it."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


class Entry(NamedTuple):
    id: str
    title: str
    link: str
    updated: dt.datetime
    summary: str


async def read_entries(client: Client, url: str) -> list[Entry]:
    """A feed's entries as a reader gets them: feedparser for Atom; JSON Feed 1.1 by its spec
    (feedparser 6.0 reads no JSON Feed): ``url``, ``date_modified`` (RFC 3339), ``summary``."""
    if url.partition("?")[0].endswith(".atom"):
        return [
            Entry(e.id, e.title, e.link, entry_time(e), e.summary)
            for e in (await parsed(client, url)).entries
        ]
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return [
        Entry(
            i["id"],
            i["title"],
            i["url"],
            dt.datetime.fromisoformat(i["date_modified"].replace("Z", "+00:00")),
            i["summary"],
        )
        for i in response.json()["items"]
    ]


async def json_draws(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/v1/draws?{query}")
    assert response.status_code == 200, response.text
    draws: list[dict[str, Any]] = response.json()["data"]
    return draws


def round_time(draw: dict[str, Any]) -> dt.datetime:
    if draw["run_at"]:
        return dt.datetime.fromisoformat(draw["run_at"].replace("Z", "+00:00"))
    return dt.datetime.fromisoformat(draw["date"] + "T00:00:00+00:00")


def entry_time(entry: Any) -> dt.datetime:
    parsed_time = entry.get("updated_parsed") or entry.get("published_parsed")
    return dt.datetime.fromtimestamp(calendar.timegm(parsed_time), dt.UTC)


@pytest.mark.parametrize("url", FEEDS)
async def test_every_entry_is_a_round_of_the_json_api_newest_first(
    client_2026: Client, url: str
) -> None:
    entries = await read_entries(client_2026, url)
    draws = await json_draws(client_2026)
    pools = {p["date"]: p["total"] for p in (await client_2026.get("/v1/pool")).json()}
    assert len(entries) == len(draws) == 14
    for entry, draw in zip(entries, draws, strict=True):
        assert entry.id == f"tag:eedraws,2026:round/{draw['number']}"
        assert entry.title == (
            f"Round #{draw['number']} · {draw['category']['name']} · "
            f"{draw['invitations']:,} invitations · CRS {draw['crs_min']}"
        )
        assert entry.link == f"http://testserver.local/draws/{draw['number']}"
        assert entry.updated == round_time(draw)
        assert draw["date"] in entry.summary
        if draw["tie_break_at"]:
            assert draw["tie_break_at"][:10] in entry.summary
        if draw["pool_snapshot_date"] in pools:
            assert f"{pools[draw['pool_snapshot_date']]:,} candidates" in entry.summary


async def test_the_atom_feed_names_itself_its_rounds_categories_and_licence(
    client_2026: Client,
) -> None:
    feed = await parsed(client_2026, "/v1/draws.atom")
    assert feed.version == "atom10"
    assert feed.feed.id == "tag:eedraws,2026:draws"
    assert any(link.rel == "self" for link in feed.feed.links)
    assert "Open Government Licence" in feed.feed.rights
    assert feed.entries[0].tags[0].term == (await json_draws(client_2026))[0]["category"]["slug"]


async def test_the_json_feed_is_json_feed_1_1(client_2026: Client) -> None:
    body = (await client_2026.get("/v1/draws.feed.json")).json()
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert body["feed_url"].endswith("/v1/draws.feed.json")
    assert {"id", "url", "title", "content_text", "date_published"} <= set(body["items"][0])


@pytest.mark.parametrize("url", FEEDS)
async def test_categories_and_limit_filter_like_the_json_list(
    client_2026: Client, url: str
) -> None:
    query = "category=healthcare&category=french-language-proficiency"
    entries = await read_entries(client_2026, f"{url}?{query}")
    numbers = [d["number"] for d in await json_draws(client_2026, query)]
    assert [e.id.rsplit("/", 1)[1] for e in entries] == numbers
    assert len(numbers) >= 2
    assert len(await read_entries(client_2026, f"{url}?limit=2")) == 2


@pytest.mark.parametrize("url", FEEDS)
@pytest.mark.parametrize("query", ["category=No-Such-Line", "min_crs=abc", "from=2026-13-01"])
async def test_a_bad_filter_is_the_same_problem_as_on_the_json_list(
    client_2026: Client, url: str, query: str
) -> None:
    feed = await client_2026.get(f"{url}?{query}")
    listed = await client_2026.get(f"/v1/draws?{query}")
    assert feed.status_code == listed.status_code == 400
    assert feed.headers["content-type"] == "application/problem+json"
    assert feed.json()["code"] == listed.json()["code"]
    assert feed.json()["detail"].split(";")[0] == listed.json()["detail"].split(";")[0]


@pytest.mark.parametrize("url", FEEDS)
@pytest.mark.parametrize("limit", ["0", "501", "ten"])
async def test_a_bad_limit_is_a_400_problem(client_2026: Client, url: str, limit: str) -> None:
    answer = await client_2026.get(f"{url}?limit={limit}")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_parameter"
    assert "`limit`" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("url", "media_type"),
    [("/v1/draws.atom", "application/atom+xml"), ("/v1/draws.feed.json", "application/feed+json")],
)
async def test_a_feed_is_cached_with_an_etag_and_revalidates_to_304(
    client_2026: Client, url: str, media_type: str
) -> None:
    first = await client_2026.get(url)
    assert first.headers["content-type"].startswith(media_type)
    assert first.headers["cache-control"].startswith("public")
    again = await client_2026.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_a_reader_polling_the_feed_sees_a_new_round_on_the_first_poll_after_an_ingest(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    app = create_app(settings)
    async with running(app) as (client, _):
        version = app.state.response_cache.version
        in_app_loop(client, version.subscribed.wait)
        first = await client.get("/v1/draws.atom")
        seen = {e.id for e in feedparser.parse(first.content).entries}
        unchanged = await client.get(
            "/v1/draws.atom", headers={"If-None-Match": first.headers["etag"]}
        )
        assert unchanged.status_code == 304
        report = await ingest(FIXTURES / "rounds_future.json")
        publisher = redis.from_url(settings.redis_url)
        await announce_data_version(publisher, report.data_version)
        await publisher.aclose()
        in_app_loop(client, data_version_reaches, version, report.data_version)
        poll = await client.get("/v1/draws.atom", headers={"If-None-Match": first.headers["etag"]})
    assert poll.status_code == 200
    new = [e for e in feedparser.parse(poll.content).entries if e.id not in seen]
    assert [e.id for e in new] == ["tag:eedraws,2026:round/413", "tag:eedraws,2026:round/412"]
    assert feedparser.parse(poll.content).entries[0].id == new[0].id


@pytest.mark.parametrize("url", FEEDS)
async def test_a_feed_cached_under_one_host_name_is_not_served_with_its_links_to_another(
    client_2026: Client, url: str
) -> None:
    # The cache keys on the origin: feeds hold absolute links built from the request's host.
    for host in ("a.example", "b.example", "a.example"):
        entries = await read_entries_with_host(client_2026, url, host)
        assert entries
        assert all(e.link.startswith(f"http://{host}/draws/") for e in entries), host


async def read_entries_with_host(client: Client, url: str, host: str) -> list[Entry]:
    response = await client.get(url, headers={"Host": host})
    assert response.status_code == 200, response.text
    if url.endswith(".atom"):
        return [
            Entry(e.id, e.title, e.link, entry_time(e), e.summary)
            for e in feedparser.parse(response.content).entries
        ]
    return [
        Entry(i["id"], i["title"], i["url"], dt.datetime.now(dt.UTC), i["summary"])
        for i in response.json()["items"]
    ]
