"""The CSVs as pandas reads them, with the types the docs give: a filtered file and the whole one
read alike and merge (issue 21, item 6)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.columns import DRAWS, TABLES, pandas_dtypes
from api.settings import Settings
from tests.support.server import served

Client = AsyncTestClient[Litestar]
ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def documented_dtypes(table: str) -> dict[str, str]:
    """The ``dtype`` docs/exports.md gives under ``table``'s columns."""
    section = re.search(
        rf"<!-- columns:{re.escape(table)}:start -->(.*?)<!-- columns:{re.escape(table)}:end -->",
        DOCS,
        re.S,
    )
    assert section is not None, table
    recipe = re.search(r"pd\.read_csv\(url, dtype=(\{.*?\})\)", section.group(1))
    assert recipe is not None, f"docs/exports.md gives no pandas types for {table}"
    dtypes: dict[str, str] = json.loads(recipe.group(1))
    return dtypes


async def read_csv(client: Client, path: str, dtype: dict[str, str]) -> pd.DataFrame:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return pd.read_csv(io.BytesIO(response.content), dtype=dtype)  # type: ignore[arg-type]


def test_the_docs_give_every_files_pandas_types() -> None:
    for table in TABLES:
        assert documented_dtypes(table.name) == pandas_dtypes(table), table.name


async def test_a_filtered_and_the_whole_csv_of_rounds_read_alike_and_merge(
    client_2026: Client,
) -> None:
    dtype = documented_dtypes("draws")
    whole = await read_csv(client_2026, "/v1/draws.csv", dtype)
    assert {"91a", "91b"} <= set(whole["number"])
    # Every round a version (an integer column when guessed), and one round with no tie-break
    # (a float column of blanks when guessed): each read with the whole file's types.
    healthcare = await read_csv(client_2026, "/v1/draws.csv?category=healthcare", dtype)
    first = await read_csv(client_2026, "/v1/draws.csv?to=2015-01-31", dtype)
    assert len(first) == 1 and first["tie_break_at"].isna().all()
    for part in (healthcare, first):
        assert part.dtypes.to_dict() == whole.dtypes.to_dict()
    assert str(whole["number"].dtype) == "string"
    merged = healthcare.merge(whole, on="number", suffixes=("", "_whole"))
    assert len(merged) == len(healthcare) > 0
    assert (merged["crs_min"] == merged["crs_min_whole"]).all()
    both = pd.concat([healthcare, first, whole])
    assert both.dtypes.to_dict() == whole.dtypes.to_dict()


async def test_a_charts_data_merges_with_the_rounds_by_number(client_2026: Client) -> None:
    rounds = await read_csv(client_2026, "/v1/draws.csv", documented_dtypes("draws"))
    drawn = await read_csv(
        client_2026, "/v1/charts/crs.csv?category=healthcare", {"number": "string"}
    )
    merged = drawn.merge(rounds, on="number", suffixes=("", "_round"))
    assert len(merged) == len(drawn) > 0
    assert (merged["crs_min"] == merged["crs_min_round"]).all()


def _readme_block(needle: str) -> str:
    for block in re.findall(r"```python\n(.*?)```", README, re.S):
        if needle in block:
            found: str = block
            return found
    raise AssertionError(f"no python block in README.md with {needle!r}")


def test_the_readmes_zip_recipe_reads_every_table_with_its_types(rounds_2026: Settings) -> None:
    code = _readme_block("export.zip")
    with served(rounds_2026) as base:
        scope: dict[str, Any] = {}
        exec(code.replace("https://<host>", base), scope)
    tables: dict[str, pd.DataFrame] = scope["tables"]
    assert str(tables["draws"]["number"].dtype) == "string"
    expected = {t.name: pandas_dtypes(t) for t in TABLES}
    assert {c: str(t) for c, t in tables["draws"].dtypes.items()} == expected[DRAWS.name]
    for name, frame in tables.items():
        assert len(frame) > 0, name
        if name in expected:
            assert {c: str(t) for c, t in frame.dtypes.items()} == expected[name], name
