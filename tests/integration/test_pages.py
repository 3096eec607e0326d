"""The HTML pages over HTTP: escaped, cached like the API, errors explained on the page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from api.web.pages import FEEDS
from tests.support.db import FIXTURES, Ingest

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def loaded(ingest: Ingest) -> None:
    await ingest(FIXTURES / "rounds_2026.json")


@pytest.mark.usefixtures("loaded")
async def test_dashboard_is_html_served_from_the_cache_with_validators(client: Client) -> None:
    first = await client.get("/", headers={"Accept": "text/html"})
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/html")
    assert first.headers["etag"]
    again = await client.get(
        "/", headers={"Accept": "text/html", "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.usefixtures("loaded")
async def test_what_a_visitor_typed_is_escaped_on_the_page(client: Client) -> None:
    hostile = '"><script>alert(1)</script>'
    response = await client.get("/", params={"from": hostile, "crs": hostile})
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.usefixtures("loaded")
async def test_a_score_out_of_range_is_explained_next_to_the_form(client: Client) -> None:
    response = await client.get("/", params={"crs": "1201"})
    assert response.status_code == 400
    assert "crs must be an integer from 0 to 1200, got 1201" in response.text
    # The rest of the page is still there.
    assert 'href="/draws/411"' in response.text


@pytest.mark.usefixtures("loaded")
async def test_draw_page_names_the_round_and_an_unknown_round_is_a_404_page(
    client: Client,
) -> None:
    page = await client.get("/draws/398")
    assert page.status_code == 200
    assert "<h1>Round #398: Healthcare and Social Services Occupations</h1>" in page.text
    missing = await client.get("/draws/5000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "there is no round 5000" in missing.text


@pytest.mark.usefixtures("loaded")
async def test_pages_load_nothing_from_elsewhere(client: Client) -> None:
    # The dashboard names this server's own /mcp URL as text, for an assistant's settings.
    own_mcp = str(client.base_url).rstrip("/") + "/mcp"
    for path in ("/", "/draws/398"):
        text = (await client.get(path)).text.replace(own_mcp, "")
        assert "http://" not in text.replace("http://www.w3.org", "")
        assert "https://" not in text
        assert "<script" not in text


@pytest.mark.usefixtures("loaded")
async def test_draw_page_states_the_rounds_context(client: Client) -> None:
    draws = (await client.get("/v1/draws?limit=500")).json()["data"]
    me = next(d for d in draws if d["number"] == "398")
    year = me["date"][:4]
    before = [d for d in draws if d["date"][:4] == year and d["date"] < me["date"]]
    line = [d for d in draws if d["category"]["slug"] == me["category"]["slug"]]
    previous = max((d for d in line if d["date"] < me["date"]), key=lambda d: d["date"])
    # The words as read: dates are wrapped in spans that keep them on one line.
    text = re.sub(r"<[^>]+>", "", (await client.get("/draws/398")).text)
    name = me["category"]["name"]
    rank = len(before) + 1
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(rank, "th")  # the fixture's years hold few rounds
    assert f"The {rank}{suffix} round of {year} and the" in text
    assert f"The previous {name} round, #{previous['number']} on {previous['date']}" in text
    change = me["crs_min"] - previous["crs_min"]
    assert f"{abs(change)} points {'higher' if change > 0 else 'lower'}" in text


@pytest.mark.usefixtures("loaded")
async def test_every_page_advertises_the_feeds_the_app_serves(client: Client) -> None:
    for path, media_type, _ in FEEDS:
        served = (await client.get(path)).status_code == 200
        link = f'<link rel="alternate" type="{media_type}"'
        for page in ("/", "/draws/398", "/draws/5000"):
            text = (await client.get(page)).text
            assert (link in text and f'href="{path}"' in text) is served, (page, path)
