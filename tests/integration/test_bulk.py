"""/v1/export.zip: a valid Frictionless data package whose rows are the JSON API's."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import frictionless
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.columns import CATEGORIES, POOL_BANDS, Table
from api.models import Category, PoolBandRow
from api.settings import Settings
from tests.support.http import pages, running

Client = AsyncTestClient[Litestar]
MEMBERS = {
    "datapackage.json",
    "draws.csv",
    "categories.csv",
    "pool.csv",
    "pool-bands.csv",
    "yearly.csv",
}


async def export(client: Client) -> zipfile.ZipFile:
    response = await client.get("/v1/export.zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="eedraws-')
    return zipfile.ZipFile(io.BytesIO(response.content))


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


async def test_the_zip_is_a_data_package_frictionless_validates_with_no_error(
    client_2026: Client, tmp_path: Path
) -> None:
    archive = await export(client_2026)
    assert set(archive.namelist()) == MEMBERS
    archive.extractall(tmp_path)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["errors"] == 0


async def test_the_descriptor_says_licence_source_version_keys_and_types(
    client_2026: Client,
) -> None:
    package = msgspec.json.decode((await export(client_2026)).read("datapackage.json"))
    status = (await client_2026.get("/v1/status")).json()
    assert package["licenses"][0]["title"] == "Open Government Licence – Canada"  # noqa: RUF001
    assert package["sources"][0]["path"].startswith("https://www.canada.ca/")
    assert package["data_version"] == status["data_version"]
    assert package["created"].endswith("Z")
    resources = {r["name"]: r for r in package["resources"]}
    draws = resources["draws"]["schema"]
    assert draws["primaryKey"] == ["number"]
    assert {
        "fields": ["category_slug"],
        "reference": {"resource": "categories", "fields": ["slug"]},
    } in draws["foreignKeys"]
    assert resources["pool-bands"]["schema"]["primaryKey"] == ["date", "band"]
    types = {f["name"]: f["type"] for f in draws["fields"]}
    assert (types["invitations"], types["date"], types["run_at"]) == ("integer", "date", "datetime")


async def test_every_row_is_the_json_apis(client_2026: Client) -> None:
    archive = await export(client_2026)
    draws = await pages(client_2026, "/v1/draws?limit=500")
    assert [r["number"] for r in rows(archive, "draws.csv")] == [d["number"] for d in draws]
    assert [r["crs_min"] for r in rows(archive, "draws.csv")] == [str(d["crs_min"]) for d in draws]
    categories = (await client_2026.get("/v1/categories")).json()
    assert [(r["slug"], r["aliases"], r["draws"]) for r in rows(archive, "categories.csv")] == [
        (c["slug"], ";".join(c["aliases"]), str(c["draws"])) for c in categories
    ]
    snapshots = (await client_2026.get("/v1/pool")).json()
    assert [(r["date"], r["total"]) for r in rows(archive, "pool.csv")] == [
        (s["date"], str(s["total"])) for s in snapshots
    ]
    bands = []
    for s in snapshots:
        snapshot = (await client_2026.get(f"/v1/pool/{s['date']}")).json()
        bands += [{"date": s["date"], **b} for b in snapshot["bands"]]
    assert rows(archive, "pool-bands.csv") == [
        {c.name: cell(b[c.name]) for c in POOL_BANDS.columns} for b in bands
    ]
    yearly = (await client_2026.get("/v1/stats/yearly")).json()
    assert [(r["year"], r["invitations"]) for r in rows(archive, "yearly.csv")] == [
        (str(y["year"]), str(y["invitations"])) for y in yearly
    ]


@pytest.mark.parametrize(
    ("url", "member"),
    [("/v1/pool/bands.csv", "pool-bands.csv"), ("/v1/categories.csv", "categories.csv")],
)
async def test_bands_and_categories_are_served_on_their_own_too(
    client_2026: Client, url: str, member: str
) -> None:
    alone = await client_2026.get(url)
    assert alone.status_code == 200
    assert alone.headers["content-type"] == "text/csv; charset=utf-8"
    assert alone.content == (await export(client_2026)).read(member)


async def test_the_zip_is_built_once_per_data_version(rounds_2026: Settings) -> None:
    async with running(create_app(rounds_2026)) as (client, pool):
        first = await client.get("/v1/export.zip")
        reads = len(pool.reads)
        second = await client.get("/v1/export.zip")
        again = await client.get("/v1/export.zip", headers={"If-None-Match": first.headers["etag"]})
    assert second.content == first.content
    assert len(pool.reads) == reads
    assert again.status_code == 304


def _fields(model: type[msgspec.Struct]) -> set[str]:
    return {f.name for f in msgspec.structs.fields(model)}


@pytest.mark.parametrize(
    ("table", "model", "left_out"),
    [(POOL_BANDS, PoolBandRow, set()), (CATEGORIES, Category, {"versions"})],
)
def test_the_new_column_tables_cover_their_models(
    table: Table, model: type[msgspec.Struct], left_out: set[str]
) -> None:
    assert {c.path or c.name for c in table.columns} == _fields(model) - left_out


async def test_every_entry_unpacks_as_a_file_anyone_may_read(client_2026: Client) -> None:
    archive = await export(client_2026)
    for info in archive.infolist():
        # What `unzip` applies: the Unix mode in the entry's high 16 bits (was 0o600).
        assert info.create_system == 3, info.filename
        assert oct(info.external_attr >> 16) == oct(0o100644), info.filename
