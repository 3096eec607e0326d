"""/v1/series/crs and /v1/series/invitations (JSON and CSV), checked against figures computed
from the rounds file in plain Python (tests/support/trend_expectations.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.columns import SERIES, TABLES
from api.models import SeriesPoint
from tests.support.ircc_rounds import Round
from tests.support.trend_expectations import series

# The fixtures `client` (the session's app over IRCC's file) and `rounds` (that file, parsed).
from tests.support.trend_store import trend_client, trend_rounds  # noqa: F401

Client = AsyncTestClient[Litestar]
# Values are rounded to 2 decimals; a half-way case may round either way.
TOLERANCE = Fraction(1, 100) + Fraction(1, 10**9)


def _matches(served: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    if len(served) != len(expected):
        return False
    for got, want in zip(served, expected, strict=True):
        if {k: got[k] for k in ("period", "draws", "category")} != {
            k: want[k] for k in ("period", "draws", "category")
        }:
            return False
        if (got["value"] is None) != (want["value"] is None):
            return False
        if want["value"] is not None and abs(Fraction(got["value"]) - want["value"]) > TOLERANCE:
            return False
    return True


def _query(params: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if key == "categories":
            pairs.extend(("category", slug) for slug in value)
        elif key == "date_from":
            pairs.append(("from", value.isoformat()))
        elif key == "date_to":
            pairs.append(("to", value.isoformat()))
        elif value is not None:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def _busiest_lines(rounds: list[Round], n: int) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for r in rounds:
        counts[r.line] = counts.get(r.line, 0) + 1
    return tuple(sorted(counts, key=lambda line: (-counts[line], line))[:n])


TRANSFORMS: tuple[dict[str, Any], ...] = (
    {},
    {"transform": "change"},
    {"transform": "pct_change"},
    {"transform": "yoy"},
    {"transform": "rolling_mean"},
    {"transform": "rolling_mean", "window": 5},
)


async def _check(client: Client, rounds: list[Round], measure: str, params: dict[str, Any]) -> None:
    url = f"/v1/series/{measure}?{_query(params)}"
    answer = await client.get(url)
    assert answer.status_code == 200, (url, answer.text)
    expected = series(rounds, measure, **params)
    assert expected, url
    assert _matches(answer.json()["data"], expected), url


@pytest.mark.parametrize("measure", ["crs", "invitations"])
async def test_every_frequency_agg_and_transform_equals_the_files_figures(
    rounds: list[Round], client: Client, measure: str
) -> None:
    aggs = ("min", "max", "mean", "last") if measure == "crs" else ("sum", "count")
    selections: tuple[dict[str, Any], ...] = (
        {},
        {"categories": ("healthcare",)},
        {"categories": _busiest_lines(rounds, 3)},
        {"date_from": date(2023, 2, 15), "date_to": date(2025, 11, 20)},
    )
    for selection in selections:
        for frequency in ("draw", "month", "quarter", "year"):
            for agg in aggs:
                for transform in TRANSFORMS:
                    params = {**selection, "frequency": frequency, "agg": agg, **transform}
                    await _check(client, rounds, measure, params)


async def test_a_period_with_no_round_is_present_with_a_null_value(
    rounds: list[Round], client: Client
) -> None:
    body = (await client.get("/v1/series/crs?frequency=month&category=healthcare")).json()
    periods = [p["period"] for p in body["data"]]
    assert len(periods) == len(set(periods))
    empty = [p for p in body["data"] if p["draws"] == 0]
    assert empty, "healthcare has months with no round"
    assert all(p["value"] is None for p in empty)
    assert all(p["value"] is not None for p in body["data"] if p["draws"] > 0)
    # Contiguous months from the line's first round to its last.
    first, last = periods[0], periods[-1]
    months = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert len(periods) == months


async def test_defaults_are_each_round_date_and_the_lowest_cut_off(
    rounds: list[Round], client: Client
) -> None:
    body = (await client.get("/v1/series/crs")).json()
    assert body["meta"]["frequency"] == "draw"
    assert body["meta"]["agg"] == "min"
    assert body["meta"]["units"] == "CRS points"
    assert _matches(body["data"], series(rounds, "crs"))
    invitations = (await client.get("/v1/series/invitations?frequency=year")).json()
    assert invitations["meta"]["agg"] == "sum"
    assert _matches(invitations["data"], series(rounds, "invitations", frequency="year"))


async def test_the_other_draw_filters_choose_the_rounds_of_a_series(
    rounds: list[Round], client: Client
) -> None:
    body = (await client.get("/v1/series/invitations?frequency=year&min_crs=500")).json()
    years: dict[str, list[int]] = {}
    for r in rounds:
        if r.crs >= 500:
            years.setdefault(str(r.date.year), []).append(r.invitations)
    served = {p["period"]: (p["value"], p["draws"]) for p in body["data"] if p["draws"]}
    assert served == {year: (sum(v), len(v)) for year, v in years.items()}


async def test_period_labels_follow_the_frequency(rounds: list[Round], client: Client) -> None:
    patterns = {
        "draw": r"^\d{4}-\d{2}-\d{2}$",
        "month": r"^\d{4}-\d{2}$",
        "quarter": r"^\d{4}-Q[1-4]$",
        "year": r"^\d{4}$",
    }
    for frequency, pattern in patterns.items():
        body = (await client.get(f"/v1/series/crs?frequency={frequency}")).json()
        assert body["data"]
        assert all(re.match(pattern, p["period"]) for p in body["data"]), frequency


async def test_csv_holds_the_same_points_as_json(rounds: list[Round], client: Client) -> None:
    # Two lines the loaded file has (the small fixture has no `stem`, IRCC's file has it).
    lines = [("category", line) for line in _busiest_lines(rounds, 2)]
    extra = [("frequency", "quarter"), ("transform", "rolling_mean"), ("window", "2")]
    query = urlencode([*lines, *extra])
    for measure in ("crs", "invitations"):
        as_json = (await client.get(f"/v1/series/{measure}?{query}")).json()["data"]
        answer = await client.get(f"/v1/series/{measure}.csv?{query}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [
            {
                "period": p["period"],
                "category": p["category"] or "",
                "value": "" if p["value"] is None else str(p["value"]),
                "draws": str(p["draws"]),
            }
            for p in as_json
        ] == rows


async def test_series_as_xlsx_and_by_accept_hold_the_same_points(
    rounds: list[Round], client: Client
) -> None:
    query = "frequency=year&category=healthcare"
    as_json = (await client.get(f"/v1/series/crs?{query}")).json()["data"]
    by_accept = await client.get(f"/v1/series/crs?{query}", headers={"Accept": "text/csv"})
    suffixed = await client.get(f"/v1/series/crs.csv?{query}")
    assert by_accept.content == suffixed.content
    workbook = await client.get(f"/v1/series/crs.xlsx?{query}")
    assert workbook.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [[p["period"], p["category"], p["value"], p["draws"]] for p in as_json] == cells


def test_the_series_column_table_covers_a_points_fields() -> None:
    assert sorted(c.path or c.name for c in SERIES.columns) == sorted(SeriesPoint.__struct_fields__)
    assert SERIES in TABLES


BAD: tuple[tuple[str, str], ...] = (
    ("/v1/series/crs?frequency=weekly", "draw, month, quarter, year"),
    ("/v1/series/crs?agg=sum", "min, max, mean, last"),
    ("/v1/series/invitations?agg=min", "sum, count"),
    ("/v1/series/crs?transform=log", "change, pct_change, yoy, rolling_mean"),
    ("/v1/series/crs?transform=rolling_mean&window=0", "window"),
    ("/v1/series/crs?transform=rolling_mean&window=121", "window"),
    ("/v1/series/crs.csv?frequency=weekly", "draw, month, quarter, year"),
    ("/v1/series/crs?colour=red", "colour"),
)


async def test_an_invalid_value_is_a_400_problem_naming_what_is_allowed(
    rounds: list[Round], client: Client
) -> None:
    for url, said in BAD:
        answer = await client.get(url)
        assert answer.status_code == 400, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), url
        assert said in answer.json()["detail"], (url, answer.json()["detail"])


async def test_series_are_cached_with_an_etag(rounds: list[Round], client: Client) -> None:
    url = "/v1/series/crs?frequency=year&category=healthcare"
    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
