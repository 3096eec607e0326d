"""The CSV of rounds over IRCC's real snapshots (../shared/data/ircc, read in place), each alone
and both in the order IRCC published them: PostgreSQL's COPY must write, byte for byte, the file
Python's renderer (exports.csv_bytes) writes for the rows the JSON list serves, whole and in
pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.columns import DRAWS
from api.exports import csv_bytes
from api.models import Draw, DrawPage
from api.settings import Settings
from tests.support.db import SHARED_DATA, database_of_its_own

Client = AsyncTestClient  # type: ignore[type-arg]
OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"
NEWER = SHARED_DATA / "ee_rounds_123_en.2026-04-21.json"
SNAPSHOTS = {"2024-04-06": [OLDER], "2026-04-21": [NEWER], "both, in order": [OLDER, NEWER]}

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(
        not NEWER.exists() or not OLDER.exists(),
        reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA})",
    ),
]


@pytest.fixture(scope="module", params=list(SNAPSHOTS))
async def client(
    request: pytest.FixtureRequest, servers: Settings, template_db: str
) -> AsyncIterator[Client]:
    files: list[Path] = SNAPSHOTS[request.param]
    async with (
        database_of_its_own(servers, template_db, "csv_official", files) as shared,
        AsyncTestClient(app=create_app(shared)) as client,
    ):
        yield client


async def json_rows(client: Client, query: str) -> list[Draw]:
    """Every row of the JSON list for ``query``, page after page."""
    rows: list[Draw] = []
    url: str | None = f"/v1/draws?limit=500&{query}"
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        page = msgspec.json.decode(response.content, type=DrawPage)
        rows.extend(page.data)
        url = f"/v1/draws?limit=500&{query}&cursor={page.next_cursor}" if page.next_cursor else None
    return rows


@pytest.mark.parametrize(
    "query",
    ["", "sort=crs_min", "sort=-invitations", "from=2020-01-01&min_crs=450", "bom=1"],
)
async def test_the_csv_is_pythons_file_byte_for_byte(client: Client, query: str) -> None:
    rows = await json_rows(client, query.replace("bom=1", ""))
    assert len(rows) > 10
    response = await client.get(f"/v1/draws.csv?{query}")
    assert response.status_code == 200, response.text
    assert response.content == csv_bytes(DRAWS, rows, bom="bom=1" in query)
    assert response.content.count(b"\r\n") == len(rows) + 1


async def test_csv_pages_are_pythons_pages_and_together_the_whole_file(client: Client) -> None:
    whole = (await client.get("/v1/draws.csv?sort=date")).content
    header, _, lines = whole.partition(b"\r\n")
    pages: list[bytes] = []
    query: str | None = "limit=100&sort=date"
    while query:
        json_page = msgspec.json.decode(
            (await client.get(f"/v1/draws?{query}")).content, type=DrawPage
        )
        response = await client.get(f"/v1/draws?{query}", headers={"Accept": "text/csv"})
        assert response.content == csv_bytes(DRAWS, json_page.data)
        pages.append(response.content.partition(b"\r\n")[2])
        cursor = json_page.next_cursor
        assert (cursor is None) == ("link" not in response.headers)
        query = f"limit=100&sort=date&cursor={cursor}" if cursor else None
    assert len(pages) > 2
    assert header.startswith(b"number,date,")
    assert b"".join(pages) == lines
