"""What a drawn chart looks like: its size, where its rounds and axes sit, its colours, its words,
and what its files are called (issue 21, items 4 and 5)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.charts.specs import GREY, MOST_COLOURED

Client = AsyncTestClient[Litestar]
PLOT_HEIGHT = 320  # the cut-off chart's plot, as specs.crs_spec draws it
POINT = re.compile(r'aria-roledescription="point" transform="translate\(([-\d.e]+),([-\d.e]+)\)"')
LINE = re.compile(r'aria-roledescription="line mark"[^>]* d="([^"]*)"[^>]* stroke="([^"]+)"')
LEGEND_LABEL = re.compile(r"role-legend-label.*?</g>", re.S)
TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
X_AXIS_LABELS = re.compile(r'role-axis-label".*?</g>', re.S)
LABEL = re.compile(
    r'<text text-anchor="(\w+)" transform="translate\(([-\d.e]+),[-\d.e]+\)"[^>]*>([^<]*)<'
)


def svg_width(svg: str) -> float:
    match = re.search(r'<svg[^>]* width="([\d.]+)"', svg)
    assert match is not None
    return float(match.group(1))


async def svg_of(client: Client, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/charts/crs.svg",
        # A ringed round at the plot's right end, and an axis that starts at `from`.
        "/v1/charts/crs.svg?highlight=411",
        "/v1/charts/crs.svg?category=healthcare&category=cec&from=2024-01-01",
        "/v1/charts/invitations.svg?category=pnp",
        "/v1/charts/pool.svg",
    ],
)
@pytest.mark.parametrize("width", [320, 777, 1600])
async def test_an_images_width_is_the_width_asked_for(
    client_2026: Client, path: str, width: int
) -> None:
    joiner = "&" if "?" in path else "?"
    assert svg_width(await svg_of(client_2026, f"{path}{joiner}width={width}")) == width


@pytest.mark.parametrize(
    "query", ["", "?category=healthcare", "?category=cec&category=pnp&from=2016-12-01"]
)
async def test_no_round_sits_on_an_axis(client_2026: Client, query: str) -> None:
    svg = await svg_of(client_2026, f"/v1/charts/crs.svg{query}")
    points = [(float(x), float(y)) for x, y in POINT.findall(svg)]
    assert points
    # A point is drawn 2 px around its centre: clear of the left axis (x = 0) and the bottom
    # one (y = the plot's height) by more than that.
    assert min(x for x, _ in points) > 6, points
    assert max(y for _, y in points) < PLOT_HEIGHT - 6, points


def _time_labels(svg: str) -> list[tuple[str, float, str]]:
    first_axis = X_AXIS_LABELS.search(svg)
    assert first_axis is not None
    return [(anchor, float(x), text) for anchor, x, text in LABEL.findall(first_axis.group(0))]


async def test_the_time_axis_starts_at_from_when_it_is_given(client_2026: Client) -> None:
    svg = await svg_of(client_2026, "/v1/charts/crs.svg?category=cec&from=2024-01-01")
    # The first label is 2024 at the axis itself (x = 0), aligned inside the plot.
    assert _time_labels(svg)[0] == ("start", 0.0, "2024")
    spec = (await client_2026.get("/v1/charts/crs.vl.json?category=cec&from=2024-01-01")).json()
    domain = spec["vconcat"][0]["encoding"]["x"]["scale"]["domain"]
    assert domain[0] == {"year": 2024, "month": 1, "date": 1, "hours": 0, "minutes": 0, "utc": True}


async def test_a_single_category_is_counted_in_the_singular(client_2026: Client) -> None:
    svg = await svg_of(client_2026, "/v1/charts/crs.svg?category=healthcare")
    assert "2 rounds in 1 category (Healthcare" in svg
    assert "1 categories" not in svg


def _lines(svg: str) -> list[str]:
    """The stroke of each line the chart actually drew."""
    return [stroke for path, stroke in LINE.findall(svg) if len(path) > 10]


def _legend(svg: str) -> list[str]:
    return [text for block in LEGEND_LABEL.findall(svg) for text in TEXT.findall(block)]


async def test_focus_draws_its_lines_in_colour_and_greys_the_others(client_2026: Client) -> None:
    every = (await client_2026.get("/v1/draws?limit=500")).json()["data"]
    lines = {d["category"]["slug"] for d in every}
    svg = await svg_of(client_2026, "/v1/charts/crs.svg?focus=healthcare")
    strokes = _lines(svg)
    assert len(strokes) == len(lines)
    assert strokes.count(GREY) == len(lines) - 1
    legend = _legend(svg)
    assert legend == [
        "Healthcare and Social Services Occupations",
        f"{len(lines) - 1} other categories",
    ]
    assert "in grey:" in svg  # <desc> says which lines are grey


async def test_past_six_lines_only_the_busiest_six_are_coloured(
    client_all_rounds: Client,
) -> None:
    categories = (await client_all_rounds.get("/v1/categories")).json()
    drawn = [c for c in categories if c["draws"]]
    assert len(drawn) > MOST_COLOURED
    busiest = sorted(drawn, key=lambda c: -c["draws"])[:MOST_COLOURED]
    svg = await svg_of(client_all_rounds, "/v1/charts/crs.svg")
    strokes = _lines(svg)
    assert len(strokes) == len(drawn)
    assert len([s for s in strokes if s != GREY]) == MOST_COLOURED
    assert len(set(strokes) - {GREY}) == MOST_COLOURED, "each coloured line its own colour"
    legend = _legend(svg)
    assert sorted(legend[:-1]) == sorted(c["name"] for c in busiest)
    assert legend[-1] == f"{len(drawn) - MOST_COLOURED} other categories"


async def test_a_malformed_focus_is_a_400_problem(client_2026: Client) -> None:
    response = await client_2026.get("/v1/charts/crs.svg?focus=Not%20A%20Slug")
    assert response.status_code == 400, response.text
    assert "focus" in response.json()["detail"]


@pytest.mark.parametrize("focus", ["nope", "pnp"])
async def test_a_focus_on_a_line_not_drawn_colours_as_no_focus_does(
    client_2026: Client, focus: str
) -> None:
    # `nope` exists nowhere; `pnp` has rounds, none drawn under category=cec.
    plain = await svg_of(client_2026, "/v1/charts/crs.svg?category=cec")
    focused = await svg_of(client_2026, f"/v1/charts/crs.svg?category=cec&focus={focus}")
    assert _lines(focused) == _lines(plain)
    assert _legend(focused) == _legend(plain)


def _disposition_name(headers: Any) -> str:
    match = re.search(r'filename="([^"]+)"', headers["content-disposition"])
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (
            "/v1/charts/crs.csv?category=healthcare&category=cec&from=2024-01-01",
            "eedraws-crs-healthcare-cec-from-2024-01-01-2026-04-15.csv",
        ),
        (
            "/v1/charts/crs.svg?category=healthcare&highlight=398",
            "eedraws-crs-healthcare-highlight-398-2026-04-15.svg",
        ),
        (
            "/v1/charts/invitations.png?min_crs=480",
            "eedraws-invitations-min_crs-480-2026-04-15.png",
        ),
        ("/v1/charts/pool.vl.json", "eedraws-pool-2026-04-15.vl.json"),
    ],
)
async def test_chart_files_are_named_for_what_was_asked_like_every_export(
    client_2026: Client, path: str, name: str
) -> None:
    response = await client_2026.get(path)
    assert response.status_code == 200, response.text
    assert _disposition_name(response.headers) == name
    rounds = await client_2026.get("/v1/draws.csv?category=healthcare&category=cec&from=2024-01-01")
    assert (
        _disposition_name(rounds.headers)
        == "eedraws-draws-healthcare-cec-from-2024-01-01-2026-04-15.csv"
    )


BAR = re.compile(r'aria-roledescription="bar"[^>]*fill="([^"]+)"')


async def test_past_six_categories_the_invitations_bars_colour_six_and_stack_the_rest_in_grey(
    client_all_rounds: Client,
) -> None:
    table = (await client_all_rounds.get("/v1/charts/invitations.csv")).text
    issued: Counter[str] = Counter()
    for row in csv.DictReader(io.StringIO(table)):
        issued[row["category"]] += int(row["invitations"])
    assert len(issued) > MOST_COLOURED, "the CSV keeps every category"
    most = sorted(issued, key=lambda name: -issued[name])[:MOST_COLOURED]
    svg = await svg_of(client_all_rounds, "/v1/charts/invitations.svg")
    fills = BAR.findall(svg)
    assert GREY in fills
    assert len(set(fills) - {GREY}) == MOST_COLOURED, "six hues, each its own"
    legend = _legend(svg)
    assert sorted(legend[:-1]) == sorted(most)
    assert legend[-1] == f"{len(issued) - MOST_COLOURED} other categories"
    assert "in grey, one stack:" in svg
