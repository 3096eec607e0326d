"""One resource, any format: the column table, suffixes and Accept, 406s, files that carry
their source (About sheet, properties, names), the BOM option and the formula guard."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import openpyxl
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.columns import DRAWS, POOL, TABLES, YEARLY, YEARLY_BY_CATEGORY, Table, docs_with_tables
from api.exports import LICENCE
from api.models import Draw, PoolSnapshotSummary, YearlyStat
from api.settings import OFFICIAL_SOURCE
from tests.support.db import FIXTURES, Ingest

Client = AsyncTestClient[Litestar]
ROOT = Path(__file__).resolve().parents[2]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def api(client_2026: Client) -> Client:
    return client_2026


def parse_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def workbook(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body))


# --- the column table --------------------------------------------------------------------


def _leaves(model: type[msgspec.Struct], prefix: str = "") -> list[str]:
    names = []
    for field in msgspec.structs.fields(model):
        inner = [
            t
            for t in (field.type, *getattr(field.type, "__args__", ()))
            if isinstance(t, type) and issubclass(t, msgspec.Struct)
        ]
        if inner:
            names += _leaves(inner[0], f"{prefix}{field.name}.")
        else:
            names.append(prefix + field.name)
    return names


@pytest.mark.parametrize(
    ("table", "model", "left_out"),
    [
        (DRAWS, Draw, set()),
        (YEARLY, YearlyStat, {"category.slug", "category.name", "category.version"}),
        (YEARLY_BY_CATEGORY, YearlyStat, {"category.version"}),
        (POOL, PoolSnapshotSummary, set()),
    ],
)
def test_each_column_table_covers_its_json_models_fields_exactly(
    table: Table, model: type[msgspec.Struct], left_out: set[str]
) -> None:
    paths = [c.path or c.name for c in table.columns]
    assert sorted(paths) == sorted(set(_leaves(model)) - left_out)
    assert len({c.name for c in table.columns}) == len(table.columns)
    assert all(c.header and c.description and c.width > 0 for c in table.columns)


def test_docs_exports_md_holds_the_column_tables_as_generated() -> None:
    text = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    assert docs_with_tables(text) == text, "run `make openapi` to regenerate docs/exports.md"
    for table in TABLES:
        for column in table.columns:
            assert f"| `{column.name}` | {column.header} |" in text


# --- suffix or Accept, never an empty file ---------------------------------------------------


async def test_accept_text_csv_on_the_json_url_gives_the_csv_of_that_page(api: Client) -> None:
    as_csv = await api.get("/v1/draws?category=healthcare", headers={"Accept": CSV})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    suffixed = await api.get("/v1/draws.csv?category=healthcare")
    assert as_csv.content == suffixed.content
    # The cache keeps the representations apart: JSON after CSV is still JSON, and again.
    for _ in range(2):
        as_json = await api.get("/v1/draws?category=healthcare")
        assert as_json.headers["content-type"] == "application/json"
        numbers = [d["number"] for d in as_json.json()["data"]]
        assert numbers == [r["number"] for r in parse_csv(suffixed.content)]
    assert "accept" in as_json.headers["vary"].lower()


async def test_accept_xlsx_on_the_json_url_gives_a_workbook(api: Client) -> None:
    answer = await api.get("/v1/stats/yearly", headers={"Accept": XLSX})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == XLSX
    assert workbook(answer.content).sheetnames == ["yearly", "About"]


async def test_a_csv_page_with_a_limit_links_to_the_next_one(api: Client) -> None:
    first = await api.get("/v1/draws.csv?limit=5&sort=date")
    rows = parse_csv(first.content)
    assert len(rows) == 5
    link = first.headers["link"]
    assert link.startswith("</v1/draws.csv?") and "limit=5" in link and "&cursor=" in link
    nxt = await api.get(link[1 : link.index(">")])
    everything = parse_csv((await api.get("/v1/draws.csv?sort=date")).content)
    assert rows + parse_csv(nxt.content) == everything[:10]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/draws", {"Accept": "image/png"}),
        ("/v1/pool", {"Accept": "application/pdf"}),
        ("/v1/draws.pdf", {}),
        ("/v1/draws.json", {}),
        ("/v1/pool.txt", {}),
        ("/v1/stats/yearly.ods", {}),
    ],
)
async def test_an_unknown_format_is_a_406_problem_never_an_empty_file(
    api: Client, path: str, headers: dict[str, str]
) -> None:
    answer = await api.get(path, headers=headers)
    assert answer.status_code == 406, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "not_acceptable"
    assert problem["status"] == 406
    assert "csv" in problem["detail"]


async def test_a_name_that_is_no_resource_stays_a_404(api: Client) -> None:
    for path in ("/v1/nothing", "/v1/nothing.csv", "/v1/stats/monthly.csv"):
        answer = await api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"


async def test_the_openapi_documents_each_format_of_each_tabular_resource(api: Client) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for base in ("/v1/draws", "/v1/stats/yearly", "/v1/pool"):
        assert set(paths[base]["get"]["responses"]["200"]["content"]) == {
            "application/json",
            CSV,
            XLSX,
        }
        assert list(paths[f"{base}.csv"]["get"]["responses"]["200"]["content"]) == [CSV]
        assert list(paths[f"{base}.xlsx"]["get"]["responses"]["200"]["content"]) == [XLSX]
        csv_params = {p["name"] for p in paths[f"{base}.csv"]["get"]["parameters"]}
        xlsx_params = {p["name"] for p in paths[f"{base}.xlsx"]["get"]["parameters"]}
        assert csv_params - xlsx_params == {"bom"}


# --- files that carry their source -----------------------------------------------------------


async def test_xlsx_says_where_its_numbers_come_from(api: Client) -> None:
    answer = await api.get("/v1/draws.xlsx?category=healthcare&min_crs=400")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="eedraws-draws-healthcare-min_crs-400-2026-04-15.xlsx"'
    )
    book = workbook(answer.content)
    assert book.sheetnames == ["draws", "About"]
    headers = [c.value for c in book["draws"][1]]
    assert headers == [c.header for c in DRAWS.columns]
    assert "Cut-off CRS" in headers and "Run at (UTC)" in headers
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    status = (await api.get("/v1/status")).json()
    assert about["Source"] == OFFICIAL_SOURCE
    assert about["Licence"].startswith(LICENCE)
    assert about["Data as of"] == status["newest_draw_date"] == "2026-04-15"
    assert about["Data version"] == str(status["data_version"])
    assert about["Query"] == "/v1/draws.xlsx?category=healthcare&min_crs=400"
    assert about["Loaded from"] == status["last_ingest"]["source"]
    # Each column's header, API name and meaning, from the column table.
    assert about["Cut-off CRS"] == "crs_min"
    props = book.properties
    assert props.title == "Express Entry rounds of invitations (eedraws)"
    assert "2026-04-15" in props.subject
    changed = dt.datetime.fromisoformat(status["data_changed_at"]).replace(tzinfo=None)
    assert abs((props.created - changed).total_seconds()) < 1


async def test_csv_keeps_the_api_field_names_and_its_file_name_says_what_and_when(
    api: Client,
) -> None:
    answer = await api.get("/v1/draws.csv?category=healthcare")
    assert answer.headers["content-disposition"] == (
        'inline; filename="eedraws-draws-healthcare-2026-04-15.csv"'
    )
    assert list(parse_csv(answer.content)[0]) == [c.name for c in DRAWS.columns]
    yearly = await api.get("/v1/stats/yearly.csv?group_by=category")
    assert yearly.headers["content-disposition"] == (
        'inline; filename="eedraws-yearly-by-category-2026-04-15.csv"'
    )


async def test_bom_1_starts_the_csv_with_a_byte_order_mark_and_only_the_csv(api: Client) -> None:
    json_page = (await api.get("/v1/draws")).content
    plain = (await api.get("/v1/draws.csv")).content
    with_bom = await api.get("/v1/draws.csv?bom=1")
    assert with_bom.content == b"\xef\xbb\xbf" + plain
    rows = list(csv.DictReader(io.StringIO(with_bom.content.decode("utf-8-sig"), newline="")))
    assert rows == parse_csv(plain)
    assert (await api.get("/v1/draws.csv?bom=true")).content == with_bom.content
    assert (await api.get("/v1/draws.csv?bom=0")).content == plain
    assert (await api.get("/v1/draws.csv?bom=false")).content == plain
    # The JSON URL offers `bom` (its CSV is chosen by Accept); its JSON is the same with it.
    assert (await api.get("/v1/draws?bom=1")).content == json_page
    by_accept = await api.get("/v1/draws?bom=1", headers={"Accept": "text/csv"})
    assert by_accept.content.startswith(b"\xef\xbb\xbf")
    for url, detail in [
        ("/v1/draws.csv?bom=yes", "`bom` must be 1 or 0 (true or false), got `yes`"),
        ("/v1/draws.xlsx?bom=1", "unknown query parameter `bom`"),
    ]:
        answer = await api.get(url)
        assert answer.status_code == 400, url
        assert detail in answer.json()["detail"]


async def test_formula_like_text_is_neutralised_and_numbers_stay_numbers(
    client: Client, ingest: Ingest
) -> None:
    data = json.loads((FIXTURES / "rounds_2026.json").read_text())
    data["rounds"][0]["drawText2"] = '=HYPERLINK("http://example.org","x")'
    data["rounds"][1]["drawText2"] = "-5"
    data["rounds"][2]["drawText2"] = "@SUM(A1)"
    await ingest.data(json.dumps(data).encode())
    numbers = [r["drawNumber"] for r in data["rounds"][:3]]
    rows = {r["number"]: r for r in parse_csv((await client.get("/v1/draws.csv")).content)}
    assert rows[numbers[0]]["programs"] == '\'=HYPERLINK("http://example.org","x")'
    assert rows[numbers[1]]["programs"] == "-5"
    assert rows[numbers[2]]["programs"] == "'@SUM(A1)"
    sheet = workbook((await client.get("/v1/draws.xlsx")).content)["draws"]
    programs = {row[0]: row[8] for row in sheet.iter_rows(min_row=2, values_only=True)}
    # XLSX text cells are strings, never formulas: kept exactly as published.
    assert programs[numbers[0]] == '=HYPERLINK("http://example.org","x")'
    cells = [c for c in sheet["I"] if c.value == programs[numbers[0]]]
    assert cells and cells[0].data_type == "s"
