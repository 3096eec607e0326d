"""Spreadsheet exports over HTTP: CSV and XLSX hold exactly what the JSON API serves."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from api.columns import DRAWS

Client = AsyncTestClient  # type: ignore[type-arg]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    "number",
    "date",
    "category_slug",
    "category_name",
    "category_version",
    "name",
    "invitations",
    "crs_min",
    "programs",
    "run_at",
    "tie_break_at",
    "pool_snapshot_date",
    "flags",
]


@pytest.fixture
def client(client_2026: Client) -> Client:
    return client_2026


def as_csv_row(draw: dict[str, Any]) -> dict[str, str]:
    """What one draw of the JSON API must look like as a CSV row."""
    flat = {
        **draw,
        "category_slug": draw["category"]["slug"],
        "category_name": draw["category"]["name"],
        "category_version": draw["category"]["version"],
        "flags": ";".join(draw["flags"]),
    }
    return {k: "" if flat[k] is None else str(flat[k]) for k in COLUMNS}


def parse_csv(body: bytes) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    assert reader.fieldnames is not None
    return list(reader)


async def json_draws(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/v1/draws?limit=500&{query}")
    assert response.status_code == 200, response.text
    draws: list[dict[str, Any]] = response.json()["data"]
    return draws


async def test_draws_csv_has_the_same_rows_and_values_as_the_json_list(client: Client) -> None:
    response = await client.get("/v1/draws.csv")
    assert response.status_code == 200, response.text
    rows = parse_csv(response.content)
    assert list(rows[0]) == COLUMNS
    assert rows == [as_csv_row(d) for d in await json_draws(client)]
    assert len(rows) == 14


async def test_draws_csv_is_inline_utf8_csv_with_crlf_rows_and_no_bom(client: Client) -> None:
    response = await client.get("/v1/draws.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'inline; filename="eedraws-draws-2026-04-15.csv"'
    )
    assert response.content.startswith(b"number,date,category_slug,")
    lines = response.content.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) == 1 + 14 + 1
    assert b"\n" not in response.content.replace(b"\r\n", b"")


async def test_draws_csv_quotes_names_with_commas_and_writes_utc_timestamps_with_z(
    client: Client,
) -> None:
    body = (await client.get("/v1/draws.csv?category=healthcare&sort=date")).content
    assert b'"Healthcare and Social Services Occupations, 2026-Version 3"' in body
    rows = {r["number"]: r for r in parse_csv(body)}
    assert rows["398"]["run_at"] == "2026-02-20T12:02:57Z"
    assert rows["398"]["tie_break_at"] == "2025-12-09T18:22:06Z"
    assert rows["398"]["invitations"] == "4000"


async def test_lettered_rounds_91a_and_91b_are_both_exported(client: Client) -> None:
    rows = parse_csv((await client.get("/v1/draws.csv")).content)
    numbers = [r["number"] for r in rows]
    assert "91a" in numbers and "91b" in numbers
    sheet = openpyxl.load_workbook(io.BytesIO((await client.get("/v1/draws.xlsx")).content))
    assert {"91a", "91b"} <= {row[0] for row in sheet["draws"].iter_rows(values_only=True)}


@pytest.mark.parametrize(
    "query",
    [
        "category=healthcare",
        "category=pnp&category=fst",
        "from=2021-01-01&to=2024-12-31",
        "min_crs=480&max_crs=750",
        "min_invitations=4000&sort=crs_min",
        "sort=-invitations",
        "sort=date",
    ],
)
async def test_filters_and_sort_give_the_same_rows_as_the_json_list(
    client: Client, query: str
) -> None:
    response = await client.get(f"/v1/draws.csv?{query}")
    assert response.status_code == 200, response.text
    want = [as_csv_row(d) for d in await json_draws(client, query)]
    assert parse_csv(response.content) == want
    assert 0 < len(want) < 14 or query.startswith("sort=")


async def test_a_filter_matching_nothing_gives_only_the_header_row(client: Client) -> None:
    response = await client.get("/v1/draws.csv?min_crs=1100")
    assert response.status_code == 200
    assert response.content == (",".join(COLUMNS) + "\r\n").encode()


@pytest.mark.parametrize(
    "query",
    [
        "min_crs=high",
        "category=No-Such-Line",
        "sort=name",
        "limit=0",
        "catgory=healthcare",
    ],
)
@pytest.mark.parametrize("path", ["/v1/draws.csv", "/v1/draws.xlsx"])
async def test_a_bad_filter_gives_the_same_problem_json_400_as_the_json_list(
    client: Client, path: str, query: str
) -> None:
    response = await client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    listed = await client.get(f"/v1/draws?{query}")
    assert listed.status_code == 400
    assert response.json()["code"] == listed.json()["code"] == "invalid_parameter"
    # The same words, up to the list of accepted parameters (`bom` is for CSV only).
    assert response.json()["detail"].split(";")[0] == listed.json()["detail"].split(";")[0]


async def test_draws_csv_is_not_taken_for_a_round_number(client: Client) -> None:
    for path, media_type in [("/v1/draws.csv", "text/csv"), ("/v1/draws.xlsx", XLSX)]:
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
    assert (await client.get("/v1/draws/91a")).json()["number"] == "91a"


async def test_draws_xlsx_reads_back_with_typed_cells_matching_the_json_list(
    client: Client,
) -> None:
    response = await client.get("/v1/draws.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="eedraws-draws-2026-04-15.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["draws", "About"]
    sheet = workbook["draws"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in DRAWS.columns]
    assert [c.name for c in DRAWS.columns] == COLUMNS
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M15"
    draws = await json_draws(client)
    assert len(rows) == 1 + len(draws)
    for row, draw in zip(rows[1:], draws, strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        assert cells["number"] == draw["number"]
        assert cells["date"] == dt.datetime.fromisoformat(draw["date"])
        assert cells["invitations"] == draw["invitations"]
        assert cells["crs_min"] == draw["crs_min"]
        assert cells["category_slug"] == draw["category"]["slug"]
        assert cells["category_version"] == draw["category"]["version"]
        assert cells["name"] == draw["name"]
        for key in ("run_at", "tie_break_at"):
            want = draw[key] and dt.datetime.fromisoformat(draw[key]).replace(tzinfo=None)
            assert cells[key] == want, key
        snapshot = draw["pool_snapshot_date"]
        assert cells["pool_snapshot_date"] == (snapshot and dt.datetime.fromisoformat(snapshot))
        assert (cells["flags"] or "") == ";".join(draw["flags"])


async def test_draws_xlsx_applies_the_filters(client: Client) -> None:
    response = await client.get("/v1/draws.xlsx?category=cec&sort=date")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["draws"]
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [d["number"] for d in await json_draws(client, "category=cec&sort=date")]
    assert numbers == ["297", "333"]


@pytest.mark.parametrize("group_by", ["", "category"])
async def test_yearly_stats_csv_holds_the_json_stats(client: Client, group_by: str) -> None:
    query = f"?group_by={group_by}" if group_by else ""
    response = await client.get(f"/v1/stats/yearly.csv{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = parse_csv(response.content)
    stats = (await client.get(f"/v1/stats/yearly{query}")).json()
    want = []
    for s in stats:
        category = s.pop("category", None)
        if group_by:
            s = {"category_slug": category["slug"], "category_name": category["name"], **s}
        want.append({k: str(v) for k, v in s.items()})
    assert rows == want
    assert len(rows) >= (11 if group_by else 9)


async def test_pool_csv_lists_snapshot_dates_and_totals_newest_first(client: Client) -> None:
    response = await client.get("/v1/pool.csv?from=2024-01-01")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'inline; filename="eedraws-pool-from-2024-01-01-2026-04-15.csv"'
    )
    rows = parse_csv(response.content)
    snapshots = (await client.get("/v1/pool?from=2024-01-01")).json()
    assert rows == [
        {
            "date": s["date"],
            "total": str(s["total"]),
            "source_draw": s["source_draw"],
            "flags": ";".join(s["flags"]),
        }
        for s in snapshots
    ]
    assert rows[0] == {**rows[0], "date": "2026-04-12", "total": "233555", "source_draw": "411"}
