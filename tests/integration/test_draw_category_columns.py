"""A round carries its category's slug and name (migration 0005), always equal to `categories`:
the API reads them from one table, so they must never drift from the category they name."""

from __future__ import annotations

import asyncpg

from api import db
from tests.support.db import FIXTURES, Ingest

DRIFTED = """
SELECT count(*) FROM draws d JOIN categories c ON c.id = d.category_id
WHERE (d.category_slug, d.category_name) IS DISTINCT FROM (c.slug, c.name)
"""


async def test_every_ingested_round_carries_its_categorys_slug_and_name(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    await ingest(FIXTURES / "rounds_2026.json")
    assert await conn.fetchval("SELECT count(*) FROM draws") > 0
    assert await conn.fetchval(DRIFTED) == 0


async def test_renaming_a_category_renames_it_on_every_one_of_its_rounds(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    slug = await conn.fetchval("SELECT category_slug FROM draws ORDER BY seq LIMIT 1")
    await conn.execute("UPDATE categories SET name = 'Renamed line' WHERE slug = $1", slug)
    names = await conn.fetch(
        "SELECT DISTINCT category_name FROM draws_v WHERE category_slug = $1", slug
    )
    assert [r["category_name"] for r in names] == ["Renamed line"]
    assert await conn.fetchval(DRIFTED) == 0


async def test_a_round_cannot_be_given_another_categorys_slug_or_name(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    number = await conn.fetchval("SELECT number FROM draws ORDER BY seq LIMIT 1")
    await conn.execute(
        "UPDATE draws SET category_slug = 'elsewhere', category_name = 'Elsewhere' "
        "WHERE number = $1",
        number,
    )
    other = await conn.fetchval(
        "SELECT id FROM categories WHERE id <> (SELECT category_id FROM draws WHERE number = $1)"
        " ORDER BY id LIMIT 1",
        number,
    )
    await conn.execute("UPDATE draws SET category_id = $2 WHERE number = $1", number, other)
    moved = await conn.fetchrow(
        "SELECT d.category_slug, c.slug FROM draws d JOIN categories c ON c.id = $2 "
        "WHERE d.number = $1",
        number,
        other,
    )
    assert moved[0] == moved[1]
    assert await conn.fetchval(DRIFTED) == 0


# What 0005 changed, undone: the store as 0004 left it (the view joined categories).
UNDO_0005 = """
DROP TRIGGER draws_take_category ON draws;
DROP TRIGGER categories_give_draws ON categories;
DROP FUNCTION draws_take_category();
DROP FUNCTION categories_give_draws();
CREATE OR REPLACE VIEW draws_v AS
SELECT d.number, d.seq, d.draw_date, c.slug AS category_slug, c.name AS category_name,
       d.category_version, d.name, d.invitations, d.crs_min, d.programs,
       d.run_at, d.tie_break_at, d.pool_snapshot_date, d.flags, d.category_id
FROM draws d JOIN categories c ON c.id = d.category_id;
ALTER TABLE draws DROP COLUMN category_slug, DROP COLUMN category_name;
DELETE FROM schema_migrations WHERE version = '0005_draw_category_columns';
"""


async def test_a_store_from_before_the_columns_gets_them_filled_by_the_migration(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    async with conn.transaction():
        await conn.execute(UNDO_0005)

    assert await db.migrate(conn) == ["0005_draw_category_columns"]

    assert await conn.fetchval("SELECT count(*) FROM draws") == 14
    assert await conn.fetchval(DRIFTED) == 0
    assert await conn.fetchval("SELECT count(*) FROM draws WHERE category_name IS NULL") == 0
