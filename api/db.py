"""PostgreSQL access: the pool, named SQL queries from ``sql/queries``, and migrations."""

from __future__ import annotations

import functools
import json
import logging
import re
from pathlib import Path

import asyncpg

log = logging.getLogger("eedraws.db")

# Any constant works; it only has to be the same in every eedraws process.
MIGRATION_LOCK = 0x6565_6D69  # "eemi"
INGEST_LOCK = 0x6565_696E  # "eein"

_NAME_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def sql_dir() -> Path:
    """``sql/`` beside the package in a checkout, ``api/_sql`` in an installed wheel."""
    packaged = Path(__file__).parent / "_sql"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sql"


@functools.cache
def queries() -> dict[str, str]:
    """Every ``-- name: x`` block of ``sql/queries/*.sql``, by name."""
    found: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        heads = list(_NAME_HEADER.finditer(text))
        for head, nxt in zip(heads, [*heads[1:], None], strict=True):
            body = text[head.end() : nxt.start() if nxt else len(text)].strip()
            if head.group(1) in found:
                raise RuntimeError(f"query {head.group(1)!r} is defined twice ({path.name})")
            found[head.group(1)] = body
    return found


def query(name: str) -> str:
    return queries()[name]


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb arrives as Python objects, not JSON text, so callers never parse it twice.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    return None


async def create_pool(database_url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        # Queries filter with `$n IS NULL OR ...`; a plan made for the actual values turns a
        # keyset cursor into an index range scan, so page 20,000 costs what page 1 does.
        server_settings={"plan_cache_mode": "force_custom_plan"},
        # asyncpg's default reset costs a round trip per release. Our sessions hold no state
        # (reads are single statements; the refresh lock is released in a finally).
        reset=_keep_session,
    )
    return pool


async def connect(database_url: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    await _init_connection(conn)
    return conn


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the numbered migrations not applied yet, each in its own transaction."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for path in sorted((sql_dir() / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
            log.info("applied migration %s", path.stem)
            applied_now.append(path.stem)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
