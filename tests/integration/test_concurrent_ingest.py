"""Two ingests started at once: one runs, the other waits for it (a PostgreSQL advisory lock),
then finds nothing left to do. Nothing is applied twice or half."""

from __future__ import annotations

import asyncio

from api import db
from api.ingest.store import ingest_bytes
from api.settings import Settings
from tests.support.db import FIXTURES


async def test_two_ingests_at_once_apply_the_file_once(settings: Settings) -> None:
    data = (FIXTURES / "rounds_2026.json").read_bytes()
    first, second = await db.connect(settings.database_url), await db.connect(settings.database_url)
    try:
        reports = await asyncio.gather(
            ingest_bytes(first, data, source="a"), ingest_bytes(second, data, source="b")
        )
        counts = await first.fetchrow(
            "SELECT (SELECT count(*) FROM draws) AS draws,"
            " (SELECT count(*) FROM ingest_runs) AS runs,"
            " (SELECT data_version FROM data_state) AS version"
        )
    finally:
        await first.close()
        await second.close()
    assert sorted((r.rounds_new, r.rounds_unchanged) for r in reports) == [(0, 14), (14, 0)]
    assert sorted(r.changed_data for r in reports) == [False, True]
    assert (counts["draws"], counts["runs"], counts["version"]) == (14, 2, 1)
