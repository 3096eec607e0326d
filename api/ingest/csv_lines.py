"""Each round's line of the CSV of rounds, stored in the ingest transaction (migration 0006).

Served, the whole file is then its rounds' stored lines joined (api/reads.py draws_csv): ~0.1 ms
of PostgreSQL against ~0.75 ms for a COPY that writes them (docs/exports.md). The lines are
written by that same COPY statement's select list, so they are the same bytes; a round that
changes loses its line (a trigger) and gets it again here, and lines made by another writer
(another release's columns: ``exports.csv_format``) are all written again.
"""

from __future__ import annotations

import functools

import asyncpg

from api import exports
from api.columns import DRAWS
from api.db import copy_out, query


@functools.cache
def _missing_sql() -> str:
    return query("rounds_without_csv_line").format(cells=exports.csv_select_sql(DRAWS))


async def store_csv_lines(conn: asyncpg.Connection) -> int:
    """Write the line of every round that has none (all of them when the writer changed);
    returns how many were written. Run inside the ingest's transaction."""
    writer = exports.csv_format(DRAWS)
    if await conn.fetchval(query("csv_format")) != writer:
        await conn.execute(query("forget_csv_lines"))
        await conn.execute(query("set_csv_format"), writer)
    copied = await copy_out(conn, _missing_sql())
    if not copied.rows:
        return 0
    lines = exports.copy_lines_with_keys(copied.data, copied.rows)
    await conn.execute(
        query("store_csv_lines"),
        [int(seq) for _, seq in lines],
        [line.decode() for line, _ in lines],
    )
    return len(lines)
