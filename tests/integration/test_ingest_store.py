"""Ingest against a real PostgreSQL: upserts, revisions, refusals, history."""

from __future__ import annotations

import json

import asyncpg
import pytest

from api.ingest.ircc import IngestError
from tests.support.db import FIXTURES, Ingest


async def table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    tables = [
        "draws",
        "categories",
        "category_aliases",
        "pool_snapshots",
        "pool_bands",
        "draw_revisions",
        "ingest_runs",
    ]
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def test_first_ingest_stores_every_round_and_bumps_data_version(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    report = await ingest(FIXTURES / "rounds_2026.json")
    assert (report.rounds_in_file, report.rounds_new, report.rounds_changed) == (14, 14, 0)
    assert report.changed_data and report.data_version == 1
    assert await conn.fetchval("SELECT count(*) FROM draws") == 14
    assert await conn.fetchval("SELECT data_version FROM data_state") == 1


async def test_reingesting_the_same_file_changes_nothing_and_says_so(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    before = await table_counts(conn)
    report = await ingest(FIXTURES / "rounds_2026.json")
    assert (report.rounds_new, report.rounds_changed, report.rounds_unchanged) == (0, 0, 14)
    assert not report.changed_data and report.data_version == 1
    after = await table_counts(conn)
    assert after == {**before, "ingest_runs": before["ingest_runs"] + 1}


async def test_edited_past_rounds_are_recorded_as_revisions_with_old_and_new_values(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    report = await ingest(FIXTURES / "rounds_2026.json")
    assert report.rounds_new == 5 and report.rounds_changed >= 3
    rev = await conn.fetchrow(
        "SELECT old_values, new_values FROM draw_revisions WHERE draw_number = '262'"
    )
    assert rev["old_values"] == {"drawCutOff": "August 01, 2023 at 12:59:52 UTC"}
    assert rev["new_values"] == {"drawCutOff": "July 04, 2023 at 19:36:18 UTC "}
    renamed = await conn.fetchrow(
        "SELECT old_values, new_values FROM draw_revisions WHERE draw_number = '270'"
    )
    assert renamed["old_values"]["drawName"] == "French language proficiency (2023-1)"
    assert renamed["new_values"]["drawName"] == "French language proficiency (Version 1)"
    stored = await conn.fetchrow("SELECT name, tie_break_at FROM draws WHERE number = '262'")
    assert stored["name"] == "No Program Specified"
    assert stored["tie_break_at"].isoformat() == "2023-07-04T19:36:18+00:00"


async def test_a_round_missing_from_a_newer_file_is_never_deleted(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    doc = json.loads((FIXTURES / "rounds_2026.json").read_bytes())
    doc["rounds"] = [r for r in doc["rounds"] if r["drawNumber"] != "76"]
    report = await ingest.data(json.dumps(doc).encode())
    assert report.rounds_in_file == 13
    assert await conn.fetchval("SELECT count(*) FROM draws WHERE number = '76'") == 1


async def test_a_file_with_over_ten_percent_fewer_rounds_is_refused_unless_forced(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    doc = json.loads((FIXTURES / "rounds_2026.json").read_bytes())
    doc["rounds"] = doc["rounds"][:5]
    truncated = json.dumps(doc).encode()
    with pytest.raises(IngestError, match="truncated download"):
        await ingest.data(truncated)
    assert await conn.fetchval("SELECT count(*) FROM ingest_runs") == 1
    report = await ingest.data(truncated, force=True)
    assert report.rounds_unchanged == 5
    assert await conn.fetchval("SELECT count(*) FROM draws") == 14


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: b"<!DOCTYPE html><html><body>Server error</body></html>", "HTML page"),
        (lambda d: b'{"classes": "wb-tables", "rounds": [', "not JSON"),
        (lambda d: b'{"classes": "wb-tables"}', 'no "rounds"'),
        (lambda d: _edit(d, "411", drawSize="TBD"), "drawSize 'TBD' is not a number"),
        (lambda d: _edit(d, "411", drawCRS=""), "drawCRS '' is not a number"),
        (lambda d: _drop_key(d, "398", "drawCRS"), "missing keys: drawCRS"),
        (lambda d: _edit(d, "411", drawNumber="398"), "appears twice"),
        (lambda d: _edit(d, "411", drawDate="soon", drawDateFull="soon"), "is not a date"),
    ],
)
async def test_a_malformed_file_is_refused_and_leaves_the_store_untouched(
    ingest: Ingest, conn: asyncpg.Connection, mutate: object, message: str
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    before = await table_counts(conn)
    data = (FIXTURES / "rounds_2026.json").read_bytes()
    assert callable(mutate)
    with pytest.raises(IngestError, match=message):
        await ingest.data(mutate(data))
    assert await table_counts(conn) == before
    assert await conn.fetchval("SELECT data_version FROM data_state") == 1


def _edit(data: bytes, number: str, **values: str) -> bytes:
    doc = json.loads(data)
    for r in doc["rounds"]:
        if r["drawNumber"] == number:
            r.update(values)
    return json.dumps(doc).encode()


def _drop_key(data: bytes, number: str, key: str) -> bytes:
    doc = json.loads(data)
    for r in doc["rounds"]:
        if r["drawNumber"] == number:
            del r[key]
    return json.dumps(doc).encode()


async def test_a_never_seen_category_and_new_timestamp_styles_are_ingested(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    report = await ingest(FIXTURES / "rounds_future.json")
    assert report.categories_new == ["researchers-with-canadian-work-experience"]
    assert (report.rounds_new, report.rounds_changed) == (2, 1)
    rows = {
        r["number"]: r
        for r in await conn.fetch(
            "SELECT number, category_slug, category_version, run_at, tie_break_at, invitations,"
            " pool_snapshot_date, flags FROM draws_v WHERE number IN ('412', '413')"
        )
    }
    assert rows["412"]["category_slug"] == "researchers-with-canadian-work-experience"
    assert rows["412"]["run_at"].isoformat() == "2027-01-12T15:05:09+00:00"
    assert rows["412"]["tie_break_at"].isoformat() == "2026-12-01T08:30:00+00:00"
    assert rows["412"]["invitations"] == 1500
    assert rows["412"]["pool_snapshot_date"] is None
    assert (rows["413"]["category_slug"], rows["413"]["category_version"]) == ("healthcare", 4)
    assert rows["413"]["run_at"].isoformat() == "2027-01-20T14:00:00+00:00"
    assert rows["413"]["flags"] == []
    snapshot_total = await conn.fetchval(
        "SELECT total FROM pool_snapshots WHERE snapshot_date = '2027-01-17'"
    )
    assert snapshot_total == 234523


async def test_implausible_timestamps_are_stored_raw_flagged_and_the_round_kept(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    report = await ingest(FIXTURES / "rounds_2026.json")
    flagged = {f.number: f.flags for f in report.timestamps_flagged}
    assert flagged["357"] == ["run_at_far_from_draw_date"]
    assert flagged["208"] == ["tie_break_year_inferred"]
    row = await conn.fetchrow("SELECT run_at_raw, flags FROM draws WHERE number = '357'")
    assert row["run_at_raw"] == "July 12, 2025 at 16:27:45 UTC"
    assert "run_at_far_from_draw_date" in row["flags"]


async def test_an_unparseable_timestamp_keeps_the_round_with_a_null_time_and_a_flag(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    data = _edit((FIXTURES / "rounds_2026.json").read_bytes(), "411", drawDateTime="TBD")
    report = await ingest.data(data)
    assert report.rounds_new == 14
    row = await conn.fetchrow("SELECT run_at, run_at_raw, flags FROM draws WHERE number = '411'")
    assert row["run_at"] is None and row["run_at_raw"] == "TBD"
    assert "run_at_unparsed" in row["flags"]


async def test_category_line_spans_names_and_versions_and_keeps_every_alias(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    await ingest(FIXTURES / "rounds_future.json")
    aliases = await conn.fetch(
        "SELECT a.alias, a.version FROM category_aliases a JOIN categories c"
        " ON c.id = a.category_id WHERE c.slug = 'healthcare' ORDER BY a.alias"
    )
    assert [(a["alias"], a["version"]) for a in aliases] == [
        ("Healthcare and Social Services Occupations - Version 4", 4),
        ("Healthcare and Social Services Occupations, 2026-Version 3", 3),
        ("Healthcare and social services occupations (Version 2)", 2),
    ]
    name = await conn.fetchval("SELECT name FROM categories WHERE slug = 'healthcare'")
    assert name == "Healthcare and Social Services Occupations"


async def test_pool_snapshot_is_stored_once_per_date_and_all_zero_means_none(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    assert await conn.fetchval("SELECT pool_snapshot_date FROM draws WHERE number = '1'") is None
    bands = await conn.fetch(
        "SELECT band, crs_lo, crs_hi, candidates, is_subtotal FROM pool_bands"
        " WHERE snapshot_date = '2026-04-12' ORDER BY band"
    )
    assert len(bands) == 17
    assert (bands[0]["crs_lo"], bands[0]["crs_hi"], bands[0]["candidates"]) == (601, 1200, 325)
    assert [b["band"] for b in bands if b["is_subtotal"]] == [3, 9]


async def test_a_distribution_ircc_zeroed_later_is_retracted_not_deleted(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    await ingest(FIXTURES / "rounds_2024.json")
    snapshot_date = await conn.fetchval("SELECT pool_snapshot_date FROM draws WHERE number = '226'")
    assert snapshot_date is not None
    report = await ingest(FIXTURES / "rounds_2026.json")
    assert report.snapshots_retracted == 1
    assert await conn.fetchval("SELECT pool_snapshot_date FROM draws WHERE number = '226'") is None
    kept = await conn.fetchrow(
        "SELECT retracted, (SELECT count(*) FROM pool_bands b"
        " WHERE b.snapshot_date = s.snapshot_date) AS bands"
        " FROM pool_snapshots s WHERE snapshot_date = $1",
        snapshot_date,
    )
    assert kept["retracted"] and kept["bands"] == 17


async def test_every_ingest_run_is_recorded_with_source_and_sha256(
    ingest: Ingest, conn: asyncpg.Connection
) -> None:
    first = await ingest(FIXTURES / "rounds_2024.json")
    await ingest(FIXTURES / "rounds_2026.json")
    runs = await conn.fetch("SELECT source, sha256, rounds_new, changed_data FROM ingest_runs")
    assert len(runs) == 2
    assert runs[0]["sha256"] == first.sha256 and len(first.sha256) == 64
    assert runs[0]["source"].endswith("rounds_2024.json")
