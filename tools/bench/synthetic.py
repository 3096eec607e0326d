"""Synthetic draws for the 1M benchmark, generated straight into a database of their own.

    synthetic.py DATABASE_URL [--draws N] [--seed S]     (re)create the database and fill it
    synthetic.py DATABASE_URL --cursor-for-page P         print the W2 path of page P (limit 50)

The database named in DATABASE_URL is dropped and created again (through the server's
``postgres`` database), migrated with the project's own migrations, then filled with COPY: the
real tables (categories, category_aliases, draws with every NOT NULL column), one ingest_runs
row for the draws' foreign keys, and a data_version bump, as an ingest would leave them. Nothing
is written when the database already holds the same seed and count. Deterministic: the same
seed gives the same rows. Never commit what it generates.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from api import db
from api.reads import encode_cursor

FIRST_DATE = date(2015, 1, 31)
LAST_DATE = date(2026, 4, 15)
# IRCC's category-based rounds began here; before it, rounds were general or per program.
CATEGORIES_START = date(2023, 6, 27)
BATCH = 100_000

ALL_PROGRAMS = "Federal Skilled Worker Program, Canadian Experience Class and Federal Skilled "
ALL_PROGRAMS += "Trades Program"


@dataclass(frozen=True)
class Line:
    """A category line: its weight among rounds, CRS and invitation ranges, eligible programs."""

    slug: str
    name: str
    kind: str
    weight: int
    crs: tuple[int, int]
    invitations: tuple[int, int]
    programs: str = ALL_PROGRAMS


# fmt: off
LINES = tuple(Line(*fields) for fields in (
    # slug, name, kind, weight (share of rounds), CRS range, invitations range[, programs]
    ("general", "General", "general", 30, (430, 900), (1000, 7000)),
    ("cec", "Canadian Experience Class", "program", 16, (410, 560), (1000, 7000),
     "Canadian Experience Class"),
    ("pnp", "Provincial Nominee Program", "program", 22, (600, 900), (100, 2000),
     "Provincial Nominee Program"),
    ("fsw", "Federal Skilled Worker", "program", 1, (300, 560), (100, 3000),
     "Federal Skilled Worker"),
    ("fst", "Federal Skilled Trades", "program", 2, (300, 450), (100, 3000),
     "Federal Skilled Trades"),
    ("french-language-proficiency", "French-Language proficiency", "category", 8, (300, 480),
     (1000, 7000)),
    ("healthcare", "Healthcare and social services occupations", "category", 7, (380, 520),
     (500, 4000)),
    ("stem", "STEM occupations", "category", 4, (420, 560), (500, 4500)),
    ("trades", "Trade occupations", "category", 4, (380, 480), (500, 3000)),
    ("transport", "Transport occupations", "category", 2, (400, 460), (100, 1500)),
    ("agriculture", "Agriculture and agri-food occupations", "category", 2, (350, 400),
     (100, 1500)),
    ("education", "Education occupations", "category", 2, (450, 480), (100, 2500)),
))
DRAW_COLUMNS = (
    "number", "seq", "draw_date", "name", "category_id", "category_version", "invitations",
    "crs_min", "programs", "run_at", "run_at_raw", "tie_break_at", "tie_break_at_raw",
    "pool_snapshot_date", "flags", "published", "first_run_id", "last_change_run_id",
    "published_since", "published_latest",
)
# fmt: on


def marker(draws: int, seed: int) -> str:
    return f"synthetic:tools/bench/synthetic.py draws={draws} seed={seed}"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def published_text(moment: datetime) -> str:
    """A timestamp as IRCC hand-types it: 'April 15, 2026 at 10:43:11 UTC'."""
    return f"{moment:%B} {moment.day}, {moment:%Y at %H:%M:%S} UTC"


def draws(
    count: int, seed: int, category_ids: dict[str, int], run_id: int
) -> Iterator[tuple[object, ...]]:
    """``count`` draws, oldest first: dates spread evenly from FIRST_DATE to LAST_DATE; all
    published by one file, as new as its newest round (its vintage, as ingest counts it)."""
    vintage = count * 100
    rng = random.Random(seed)
    span = (LAST_DATE - FIRST_DATE).days
    programs_only = [line for line in LINES if line.kind != "category"]
    for i in range(1, count + 1):
        draw_date = FIRST_DATE + timedelta(days=(i - 1) * span // max(count - 1, 1))
        lines = LINES if draw_date >= CATEGORIES_START else programs_only
        line = rng.choices(lines, weights=[x.weight for x in lines])[0]
        version = draw_date.year - 2022 if line.kind == "category" else None
        name = f"{line.name} (Version {version})" if version else line.name
        invitations = rng.randint(*line.invitations)
        crs_min = rng.randint(*line.crs)
        run_at = datetime(draw_date.year, draw_date.month, draw_date.day, tzinfo=UTC)
        run_at += timedelta(seconds=rng.randint(9 * 3600, 17 * 3600))
        tie_break_at = run_at - timedelta(seconds=rng.randint(86_400, 60 * 86_400))
        published = {
            "drawNumber": str(i),
            "drawDate": draw_date.isoformat(),
            "drawName": name,
            "drawSize": f"{invitations:,}",
            "drawCRS": str(crs_min),
            "drawText2": line.programs,
            "drawDateTime": published_text(run_at),
            "drawCutOff": published_text(tie_break_at),
        }
        yield (
            str(i), i * 100, draw_date, name, category_ids[line.slug], version, invitations,
            crs_min, line.programs, run_at, published_text(run_at), tie_break_at,
            published_text(tie_break_at), None, [], json.dumps(published), run_id, run_id,
            vintage, vintage,
        )  # fmt: skip


async def already_generated(url: str, count: int, seed: int) -> bool:
    try:
        conn = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        return bool(
            await conn.fetchval(
                "SELECT (SELECT count(*) FROM draws) = $2 "
                "AND EXISTS (SELECT 1 FROM ingest_runs WHERE source = $1)",
                marker(count, seed),
                count,
            )
        )
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()


async def recreate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def generate(url: str, count: int, seed: int) -> None:
    await recreate(url)
    conn = await asyncpg.connect(url)
    try:
        await db.migrate(conn)
        async with conn.transaction():
            category_ids = {}
            for line in LINES:
                category_ids[line.slug] = await conn.fetchval(
                    "INSERT INTO categories (slug, name, kind) VALUES ($1, $2, $3) RETURNING id",
                    line.slug,
                    line.name,
                    line.kind,
                )
                await conn.execute(
                    "INSERT INTO category_aliases (alias, category_id) VALUES ($1, $2)",
                    line.name,
                    category_ids[line.slug],
                )
            source = marker(count, seed)
            run_id = await conn.fetchval(
                """INSERT INTO ingest_runs (source, sha256, started_at, rounds_in_file, rounds_new,
                       rounds_changed, rounds_unchanged, categories_new, snapshots_changed,
                       timestamps_flagged, changed_data, vintage)
                   VALUES ($1, $2, now(), $3, $3, 0, 0, $4, 0, 0, true, $3 * 100)
                   RETURNING id""",
                source,
                hashlib.sha256(source.encode()).hexdigest(),
                count,
                len(LINES),
            )
            rows = draws(count, seed, category_ids, run_id)
            for done in range(0, count, BATCH):
                batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
                await conn.copy_records_to_table("draws", records=batch, columns=DRAW_COLUMNS)
                print(f"synthetic: {done + len(batch):,} draws", file=sys.stderr)
            await conn.execute(
                "UPDATE data_state SET data_version = data_version + 1, changed_at = now(), "
                "last_run_id = $1",
                run_id,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def cursor_path(url: str, page: int, limit: int = 50) -> str:
    """W2's path for page ``page``: a cursor on the last draw of the page before it."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT draw_date, seq FROM draws ORDER BY draw_date DESC, seq DESC OFFSET $1 LIMIT 1",
            (page - 1) * limit - 1,
        )
    finally:
        await conn.close()
    cursor = encode_cursor("-date", row["draw_date"], row["seq"])
    return f"/v1/draws?limit={limit}&cursor={quote(cursor, safe='')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--cursor-for-page", type=int, metavar="P")
    args = parser.parse_args()
    if args.cursor_for_page:
        print(asyncio.run(cursor_path(args.database_url, args.cursor_for_page)))
        return 0
    if asyncio.run(already_generated(args.database_url, args.draws, args.seed)):
        print(f"synthetic: {args.draws:,} draws (seed {args.seed}) already there", file=sys.stderr)
        return 0
    asyncio.run(generate(args.database_url, args.draws, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
