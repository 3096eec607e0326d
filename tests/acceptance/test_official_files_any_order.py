"""IRCC's two real copies ingested in either order serve the same data (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.ingest.store import IngestReport, ingest_bytes
from api.settings import Settings
from tests.support.db import SHARED_DATA, database_of_its_own
from tests.support.served import served_data

OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"
NEWER = SHARED_DATA / "ee_rounds_123_en.2026-04-21.json"

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(
        not NEWER.exists() or not OLDER.exists(),
        reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA}); "
        "acceptance tests need ../shared/data/ircc",
    ),
]


async def _served_after(settings: Settings, *paths: Path) -> tuple[list[IngestReport], Any]:
    conn = await db.connect(settings.database_url)
    try:
        reports = [
            await ingest_bytes(conn, p.read_bytes(), source=p.name, force=True) for p in paths
        ]
    finally:
        await conn.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        return reports, await served_data(client)


async def test_the_2024_copy_after_the_2026_one_serves_what_the_other_order_serves(
    servers: Settings, template_db: str, settings: Settings
) -> None:
    _, in_order = await _served_after(settings, OLDER, NEWER)
    async with database_of_its_own(servers, template_db, "other") as other:
        reports, reversed_order = await _served_after(other, NEWER, OLDER)
    older = reports[1]
    assert older.older_vintage and older.rounds_changed == 0 and older.rounds_history > 0
    assert reversed_order == in_order
    names = {c["slug"]: c["name"] for c in reversed_order["categories"]}
    assert names["french-language-proficiency"] == "French-Language proficiency"
    assert names["healthcare"] == "Healthcare and Social Services Occupations"
    assert names["trades"] == "Trades Occupations"
    (revision,) = reversed_order["revisions 291"]
    assert revision["old_values"] == {"drawName": "French language proficiency (2024-1)"}
    assert revision["new_values"] == {"drawName": "French language proficiency (Version 1)"}
