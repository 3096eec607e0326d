"""Ingest order must not matter: an older copy of IRCC's file ingested after a newer one is
history, never an edit. Fixtures hold the real rounds whose names IRCC restyled between the
2024-04-06 and 2026-04-21 copies (291 French, 284 healthcare, 276 trades)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from api import db
from api.app import create_app
from api.ingest.store import ingest_bytes
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest, database_of_its_own
from tests.support.served import served_data

OLDER = FIXTURES / "lines_2024.json"
NEWER = FIXTURES / "lines_2026.json"


async def category_names(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["slug"]: r["name"] for r in await conn.fetch("SELECT slug, name FROM categories")}


async def revisions(conn: asyncpg.Connection) -> list[tuple[str, Any, Any]]:
    rows = await conn.fetch(
        "SELECT draw_number, old_values, new_values FROM draw_revisions ORDER BY draw_number, id"
    )
    return [(r["draw_number"], r["old_values"], r["new_values"]) for r in rows]


async def test_an_older_copy_after_a_newer_one_keeps_the_newest_names(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(NEWER)
    names = await category_names(conn)
    draws = await conn.fetch("SELECT number, name, published FROM draws ORDER BY number")
    report = await ingest(OLDER, force=True)
    assert report.older_vintage and report.newest_round == "291"
    assert (report.rounds_changed, report.rounds_history) == (0, 3)
    assert await category_names(conn) == names
    assert names["french-language-proficiency"] == "French-Language proficiency"
    assert names["healthcare"] == "Healthcare and Social Services Occupations"
    assert names["trades"] == "Trades Occupations"
    assert await conn.fetch("SELECT number, name, published FROM draws ORDER BY number") == draws
    older_vintage = await conn.fetchval(
        "SELECT older_vintage FROM ingest_runs ORDER BY id DESC LIMIT 1"
    )
    assert older_vintage is True


async def test_an_older_copy_records_irccs_edit_in_the_direction_it_happened(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(NEWER)
    await ingest(OLDER, force=True)
    assert await revisions(conn) == [
        (
            "276",
            {"drawName": "Trade occupations (2023-1)"},
            {"drawName": "Trade occupations (Version 1)"},
        ),
        (
            "284",
            {"drawName": "Healthcare occupations (2023-1)"},
            {"drawName": "Healthcare occupations (Version 1)"},
        ),
        (
            "291",
            {"drawName": "French language proficiency (2024-1)"},
            {"drawName": "French language proficiency (Version 1)"},
        ),
    ]
    again = await ingest(OLDER, force=True)
    assert not again.changed_data and again.rounds_history == 0
    assert len(await revisions(conn)) == 3


async def test_the_newer_copy_after_the_older_one_records_the_same_revisions(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(OLDER)
    report = await ingest(NEWER)
    assert not report.older_vintage and report.rounds_changed == 3
    first_order = await revisions(conn)
    assert [r[0] for r in first_order] == ["276", "284", "291"]
    assert first_order[2][2] == {"drawName": "French language proficiency (Version 1)"}


async def test_an_edit_that_an_older_copy_predates_is_placed_between_the_two(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    # Three copies of round 291: 2024's name, then a crs_min fix, then 2026's name. Ingested
    # newest first, the history still reads oldest to newest.
    older = OLDER.read_bytes()
    middle = older.replace(b'"drawCRS":"388"', b'"drawCRS":"389"').replace(
        b'"drawNumber":"276"', b'"drawNumber":"292"', 1
    )
    await ingest(NEWER)
    await ingest.data(middle, force=True)
    await ingest(OLDER, force=True)
    steps = [
        (r["old_values"], r["new_values"])
        for r in await conn.fetch(
            "SELECT old_values, new_values FROM draw_revisions WHERE draw_number = '291'"
            " ORDER BY new_vintage, id"
        )
    ]
    assert steps == [
        ({"drawCRS": "388"}, {"drawCRS": "389"}),
        (
            {"drawCRS": "389", "drawName": "French language proficiency (2024-1)"},
            {"drawCRS": "388", "drawName": "French language proficiency (Version 1)"},
        ),
    ]
    assert await conn.fetchval("SELECT crs_min FROM draws WHERE number = '291'") == 388


async def _ingest_in_order(settings: Settings, *paths: Path) -> dict[str, Any]:
    conn = await db.connect(settings.database_url)
    try:
        for path in paths:
            await ingest_bytes(conn, path.read_bytes(), source=path.name, force=True)
    finally:
        await conn.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        return await served_data(client)


async def test_both_orders_serve_the_same_data(
    servers: Settings, template_db: str, settings: Settings
) -> None:
    in_order = await _ingest_in_order(settings, OLDER, NEWER)
    async with database_of_its_own(servers, template_db, "other") as other:
        reversed_order = await _ingest_in_order(other, NEWER, OLDER)
    assert reversed_order == in_order
    assert in_order["revisions 291"][0]["new_values"] == {
        "drawName": "French language proficiency (Version 1)"
    }
