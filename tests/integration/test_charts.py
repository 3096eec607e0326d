"""/v1/charts over HTTP: each chart draws what the JSON API serves, labelled and cached."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import struct
import sys
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import altair
import anyio
import pytest
import vl_convert
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.filters import FILTERS
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.server import served

Client = AsyncTestClient  # type: ignore[type-arg]
CHARTS = ("crs", "invitations", "pool")


@pytest.fixture
async def loaded(ingest: Ingest) -> None:
    await ingest(FIXTURES / "rounds_2026.json")


def rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


async def every_draw(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/v1/draws?limit=500&{query}")
    assert response.status_code == 200, response.text
    draws: list[dict[str, Any]] = response.json()["data"]
    return draws


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def svg_size(body: bytes) -> tuple[float, float]:
    match = re.search(rb'<svg[^>]* width="([\d.]+)" height="([\d.]+)"', body)
    assert match is not None
    return float(match.group(1)), float(match.group(2))


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("name", CHARTS)
async def test_each_chart_svg_is_titled_described_and_sourced(client: Client, name: str) -> None:
    response = await client.get(f"/v1/charts/{name}.svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["etag"]
    svg = response.text
    assert re.search(r'<svg[^>]* role="img" aria-labelledby="[^"]+"', svg)
    title = re.search(r"<title[^>]*>([^<]+)</title>", svg)
    desc = re.search(r"<desc[^>]*>([^<]+)</desc>", svg)
    assert title and "Express Entry" in title.group(1)
    assert desc and "Source: IRCC" in desc.group(1)
    # The newest round of the file is 411 of 2026-04-15: the picture says how fresh it is.
    assert "data as of 2026-04-15 (round 411)" in svg
    width, _ = svg_size(response.content)
    assert 560 <= width <= 700, "readable at 600 px: drawn at about 640"


@pytest.mark.usefixtures("loaded")
async def test_crs_chart_draws_one_line_per_category_with_the_rounds_cut_offs(
    client: Client,
) -> None:
    draws = await every_draw(client)
    svg = (await client.get("/v1/charts/crs.svg")).text
    lines = svg.count('aria-roledescription="line mark"')
    assert lines == len({d["category"]["slug"] for d in draws})

    table = rows((await client.get("/v1/charts/crs.csv")).content)
    assert [(r["number"], int(r["crs_min"]), r["date"]) for r in table] == [
        (d["number"], d["crs_min"], d["date"]) for d in draws
    ]


@pytest.mark.usefixtures("loaded")
async def test_crs_chart_filters_like_draws(client: Client) -> None:
    query = "category=healthcare&category=cec&from=2024-01-01"
    draws = await every_draw(client, query)
    table = rows((await client.get(f"/v1/charts/crs.csv?{query}")).content)
    assert [r["number"] for r in table] == [d["number"] for d in draws]
    spec = (await client.get(f"/v1/charts/crs.vl.json?{query}")).json()
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    drawn = spec["datasets"][spec["data"]["name"]]
    assert sorted(p["number"] for p in drawn if p.get("crs_min") is not None) == sorted(
        d["number"] for d in draws
    )
    svg = (await client.get(f"/v1/charts/crs.svg?{query}")).text
    assert svg.count('aria-roledescription="line mark"') == len(
        {d["category"]["slug"] for d in draws}
    )


@pytest.mark.usefixtures("loaded")
async def test_every_draw_filter_reaches_the_charts_of_rounds(client: Client) -> None:
    spec = (await client.get("/openapi.json")).json()
    filters = {f.name for f in FILTERS}
    for chart in CHARTS:
        for suffix in ("svg", "png", "vl.json", "csv"):
            operation = spec["paths"][f"/v1/charts/{chart}.{suffix}"]["get"]
            params = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
            if chart == "pool":  # a pool snapshot is not a round: no draw filter applies
                assert not params & filters, params
            else:
                assert filters <= params, (chart, suffix, filters - params)
            assert ("width" in params) == (suffix != "csv"), (chart, suffix)


@pytest.mark.usefixtures("loaded")
async def test_the_other_draw_filters_choose_the_rounds_a_chart_draws(client: Client) -> None:
    query = "min_crs=480&to=2026-03-31"
    draws = await every_draw(client, query)
    assert draws
    crs = rows((await client.get(f"/v1/charts/crs.csv?{query}")).content)
    assert [r["number"] for r in crs] == [d["number"] for d in draws]
    expected: Counter[tuple[int, str]] = Counter()
    for d in draws:
        expected[(int(d["date"][:4]), d["category"]["name"])] += d["invitations"]
    invitations = rows((await client.get(f"/v1/charts/invitations.csv?{query}")).content)
    assert {(int(r["year"]), r["category"]): int(r["invitations"]) for r in invitations} == expected


@pytest.mark.usefixtures("loaded")
async def test_invitations_chart_adds_up_to_the_yearly_stats(client: Client) -> None:
    draws = await every_draw(client)
    expected: Counter[tuple[int, str]] = Counter()
    for d in draws:
        expected[(int(d["date"][:4]), d["category"]["name"])] += d["invitations"]
    table = rows((await client.get("/v1/charts/invitations.csv")).content)
    assert {(int(r["year"]), r["category"]): int(r["invitations"]) for r in table} == expected


@pytest.mark.usefixtures("loaded")
async def test_pool_chart_compares_the_two_newest_snapshots(client: Client) -> None:
    dates = [s["date"] for s in (await client.get("/v1/pool")).json()]
    latest = (await client.get(f"/v1/pool/{dates[0]}")).json()
    previous = (await client.get(f"/v1/pool/{dates[1]}")).json()

    def bands(snapshot: dict[str, Any]) -> dict[tuple[int, int], int]:
        return {
            (b["crs_lo"], b["crs_hi"]): b["candidates"]
            for b in snapshot["bands"]
            if not b["is_subtotal"]
        }

    table = rows((await client.get("/v1/charts/pool.csv")).content)
    got = {(int(r["crs_lo"]), int(r["crs_hi"])): r for r in table}
    assert set(got) == set(bands(latest))
    for key, count in bands(latest).items():
        assert int(got[key]["latest"]) == count
        assert int(got[key]["previous"]) == bands(previous)[key]
        assert int(got[key]["change"]) == count - bands(previous)[key]
    svg = (await client.get("/v1/charts/pool.svg")).text
    assert dates[0] in svg and dates[1] in svg


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("name", CHARTS)
async def test_png_is_the_same_chart_at_twice_the_pixels(client: Client, name: str) -> None:
    svg = await client.get(f"/v1/charts/{name}.svg?width=800")
    png = await client.get(f"/v1/charts/{name}.png?width=800")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    svg_width, svg_height = svg_size(svg.content)
    assert png_size(png.content) == (round(svg_width * 2), round(svg_height * 2))


@pytest.mark.usefixtures("loaded")
async def test_chart_is_served_from_the_cache_with_a_304_on_revalidation(client: Client) -> None:
    first = await client.get("/v1/charts/crs.svg")
    second = await client.get("/v1/charts/crs.svg")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    again = await client.get("/v1/charts/crs.svg", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_the_same_data_draws_the_same_bytes(settings: Settings, ingest: Ingest) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    uncached = create_app(Settings(**{**_fields(settings), "cache_enabled": False}))
    async with AsyncTestClient(app=uncached) as client:
        for name in CHARTS:
            first = await client.get(f"/v1/charts/{name}.svg")
            second = await client.get(f"/v1/charts/{name}.svg")
            assert first.status_code == 200
            assert first.content == second.content, f"{name}.svg differs between renders"


_DRAW_IN_A_FRESH_PROCESS = """
import hashlib, json, sys
import vl_convert
spec = json.load(sys.stdin)
print(hashlib.sha256(vl_convert.vegalite_to_svg(spec).encode()).hexdigest())
print(hashlib.sha256(vl_convert.vegalite_to_png(spec, scale=2)).hexdigest())
"""


@pytest.mark.usefixtures("loaded")
async def test_another_worker_draws_the_same_bytes_after_drawing_other_charts(
    client: Client,
) -> None:
    # Each worker process has its own Vega engine, and the ETag names the data, not the bytes:
    # no counter, id or timestamp may make one worker's drawing differ from another's.
    for name in CHARTS:
        spec = (await client.get(f"/v1/charts/{name}.vl.json")).content
        svg = vl_convert.vegalite_to_svg(json.loads(spec))  # after the other charts drawn here
        png = vl_convert.vegalite_to_png(json.loads(spec), scale=2)
        with anyio.fail_after(120):
            drawn = await anyio.run_process(
                [sys.executable, "-c", _DRAW_IN_A_FRESH_PROCESS], input=spec
            )
        fresh = drawn.stdout.split()
        assert fresh == [
            hashlib.sha256(svg.encode()).hexdigest().encode(),
            hashlib.sha256(png).hexdigest().encode(),
        ], f"{name} is drawn differently in another process"


def _fields(settings: Settings) -> dict[str, Any]:
    return {f: getattr(settings, f) for f in settings.__struct_fields__}


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/v1/charts/crs.svg?from=yesterday", "from"),
        ("/v1/charts/pool.svg?width=10", "width"),
        ("/v1/charts/crs.png?width=99999", "width"),
        ("/v1/charts/crs.svg?width=1e3", "`width` must be an integer from 320 to 1600, got `1e3`"),
        ("/v1/charts/crs.vl.json?min_crs=abc", "`min_crs` must be an integer"),
        ("/v1/charts/pool.svg?colour=red", "colour"),
    ],
)
async def test_bad_chart_parameters_are_400_problems(client: Client, path: str, words: str) -> None:
    response = await client.get(path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert problem["code"] == "invalid_parameter"
    assert words in problem["detail"]


async def test_charts_of_an_empty_store_are_404_problems(client: Client) -> None:
    for name in CHARTS:
        response = await client.get(f"/v1/charts/{name}.svg")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("name", CHARTS)
async def test_each_spec_is_valid_vega_lite(client: Client, name: str) -> None:
    spec = (await client.get(f"/v1/charts/{name}.vl.json")).json()
    altair.VConcatChart.from_dict(spec, validate=True)


@pytest.mark.usefixtures("loaded")
async def test_a_highlighted_round_is_ringed_and_labelled(client: Client) -> None:
    draw = (await client.get("/v1/draws/398")).json()
    svg = (await client.get("/v1/charts/crs.svg?category=healthcare&highlight=398")).text
    assert f"#398: {draw['crs_min']}" in svg
    assert f"Marked: round 398 on {draw['date']}, cut-off {draw['crs_min']}." in svg
    # A round the filters leave out is not drawn, so nothing is marked: the chart is still drawn.
    elsewhere = await client.get("/v1/charts/crs.svg?category=cec&highlight=398")
    assert elsewhere.status_code == 200
    assert "#398" not in elsewhere.text and "Marked:" not in elsewhere.text


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


async def test_a_flood_of_new_charts_is_turned_away_with_503_not_queued(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        # 40 distinct URLs at once: no cache entry answers them, each is a drawing (wide ones,
        # so that no render ends before the flood is in: 20 small ones once all fit).
        urls = [f"{base}/v1/charts/invitations.png?width={w}" for w in range(400, 1600, 30)]
        with ThreadPoolExecutor(len(urls)) as pool:
            answers = list(pool.map(_fetch, urls))
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] >= 1, "forty charts at once must not all wait"
    assert statuses[200] >= 1
    _, headers, body = next(a for a in answers if a[0] == 503)
    assert headers["retry-after"] == "2"
    assert json.loads(body)["code"] == "service_unavailable"
    assert all(body.startswith(b"\x89PNG") for status, _, body in answers if status == 200)
