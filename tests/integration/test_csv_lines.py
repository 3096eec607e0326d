"""The CSV of rounds from the lines ingest stores (migration 0006): the same bytes as Python's
renderer, rewritten when a round changes, and never served when missing or made by another
writer (the file is then written by COPY, as before)."""

from __future__ import annotations

import json

import asyncpg
import msgspec

from api.app import create_app
from api.columns import DRAWS
from api.exports import csv_format
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.http import CountingPool, pythons_csv, running

COPY_CELLS = "ascii(number)"  # in the select list COPY writes from, not in the stored read


def _copies(pool: CountingPool) -> int:
    return sum(COPY_CELLS in sql for sql in pool.statements)


async def _served(settings: Settings) -> tuple[bytes, bytes, int]:
    """The CSV served with the cache off, Python's CSV of the same rows, and the COPYs run."""
    app = create_app(msgspec.structs.replace(settings, cache_enabled=False))
    async with running(app) as (client, pool):
        served = await client.get("/v1/draws.csv")
        assert served.status_code == 200, served.text
        return served.content, await pythons_csv(client), _copies(pool)


async def test_ingest_stores_every_rounds_line_and_the_file_is_read_from_them(
    settings: Settings, ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    await ingest(FIXTURES / "rounds_2026.json")
    assert await conn.fetchval("SELECT count(*) FROM draws WHERE csv_line IS NULL") == 0
    assert await conn.fetchval("SELECT csv_format FROM data_state") == csv_format(DRAWS)
    served, pythons, copies = await _served(settings)
    assert served == pythons
    assert copies == 0


async def test_a_round_edited_by_a_later_file_has_its_line_written_again(
    settings: Settings, ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    doc = json.loads((FIXTURES / "rounds_2026.json").read_bytes())
    edited = doc["rounds"][0]
    edited["drawSize"] = "9,876"
    await ingest.data(json.dumps(doc).encode())
    line = await conn.fetchval("SELECT csv_line FROM draws WHERE number = $1", edited["drawNumber"])
    assert ",9876," in line
    served, pythons, copies = await _served(settings)
    assert served == pythons
    assert copies == 0


async def test_lines_missing_or_made_by_another_writer_are_not_served_and_ingest_rewrites_them(
    settings: Settings, ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    slug = await conn.fetchval("SELECT category_slug FROM draws ORDER BY seq LIMIT 1")
    # A rename reaches the rounds (migration 0005), which lose their lines.
    await conn.execute("UPDATE categories SET name = 'Renamed line' WHERE slug = $1", slug)
    assert await conn.fetchval("SELECT count(*) FROM draws WHERE csv_line IS NULL") > 0
    served, pythons, copies = await _served(settings)
    assert b"Renamed line" in served
    assert served == pythons
    assert copies == 1

    await conn.execute("UPDATE draws SET csv_line = NULL WHERE csv_line IS NULL")
    await conn.execute("UPDATE data_state SET csv_format = 'another writer'")
    await conn.execute("UPDATE draws SET csv_line = 'stale\r\n'")
    served, pythons, copies = await _served(settings)
    assert served == pythons
    assert copies == 1

    await ingest(FIXTURES / "rounds_2026.json")
    assert await conn.fetchval("SELECT count(*) FROM draws WHERE csv_line = 'stale\r\n'") == 0
    assert await conn.fetchval("SELECT csv_format FROM data_state") == csv_format(DRAWS)
    served, pythons, copies = await _served(settings)
    assert served == pythons
    assert copies == 0
