"""The dashboard applies every draw filter of /v1/draws that a link carries, not only the
picker's: the headline chart, its file links and both forms keep it."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import defaultdict

import pytest
from litestar.testing import AsyncTestClient

from api.filters import FILTERS, DrawFilter
from api.web.pages import chart_params
from tests.support.db import FIXTURES, Ingest

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def loaded(ingest: Ingest) -> None:
    await ingest(FIXTURES / "rounds_2026.json")


def test_a_filter_becomes_chart_url_parameters_that_parse_back_to_it() -> None:
    values = {"slug": ("healthcare", "cec"), "date": dt.date(2024, 1, 31), "int": 480}
    every = DrawFilter(**{spec.attr: values[spec.kind] for spec in FILTERS})
    raw: dict[str, list[str]] = defaultdict(list)
    for name, value in chart_params(every):
        raw[name].append(value)
    assert DrawFilter.parse(raw) == every


@pytest.mark.usefixtures("loaded")
async def test_a_filter_the_picker_has_no_field_for_reaches_the_chart_and_the_forms(
    client: Client,
) -> None:
    rounds = (await client.get("/v1/draws?min_crs=480&limit=500")).json()["data"]
    everything = (await client.get("/v1/draws?limit=500")).json()["data"]
    assert 0 < len(rounds) < len(everything)
    page = await client.get("/", params={"min_crs": "480", "crs": "470"})
    assert page.status_code == 200, page.text
    text = page.text
    assert f"(showing {len(rounds)} rounds)" in text
    chart_urls = [html.unescape(u) for u in re.findall(r'"(/v1/charts/crs\.[^"]+)"', text)]
    assert chart_urls and all("min_crs=480" in url for url in chart_urls), chart_urls
    # Both forms (the picker and the score) send it again.
    assert text.count('<input type="hidden" name="min_crs" value="480">') == 2
    assert (await client.get("/", params={"min_crs": "abc"})).status_code == 400
