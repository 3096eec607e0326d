"""Upsert a parsed rounds file into PostgreSQL, in one transaction. The only writer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from api.db import INGEST_LOCK, query
from api.ingest.categories import classify_draw_name
from api.ingest.csv_lines import store_csv_lines
from api.ingest.forecasts import forecasts_are_current, store_forecasts
from api.ingest.ircc import (
    BANDS,
    IngestError,
    ParsedFile,
    ParsedRound,
    ParsedSnapshot,
    parse_rounds_file,
)
from api.ingest.vintages import Current, Step, diff, history, place, steps

# A file with this much fewer rounds than the store is most likely a truncated download.
SHRINK_LIMIT = 0.9
TIMESTAMP_FLAGS = frozenset(
    {
        "run_at_unparsed",
        "run_at_missing",
        "run_at_far_from_draw_date",
        "tie_break_unparsed",
        "tie_break_after_run",
        "tie_break_year_inferred",
        "run_at_year_inferred",
    }
)


class FlaggedTimestamp(msgspec.Struct, frozen=True):
    number: str
    flags: list[str]
    run_at_raw: str
    tie_break_at_raw: str


class IngestReport(msgspec.Struct, frozen=True, kw_only=True):
    run_id: int
    source: str
    sha256: str
    rounds_in_file: int
    rounds_new: int
    rounds_changed: int
    rounds_unchanged: int
    # Rows whose published values are unchanged but whose parsed columns a newer parser reads
    # differently (e.g. a timestamp it could not parse before).
    rounds_reparsed: int
    # Rounds of an older copy whose differing values were recorded as history (not as edits).
    rounds_history: int
    newest_round: str
    # The file's newest round is older than the store's: it is history, the current values stay.
    older_vintage: bool
    categories_new: list[str]
    snapshots_changed: int
    snapshots_retracted: int
    timestamps_flagged: list[FlaggedTimestamp]
    changed_data: bool
    data_version: int
    store_id: str
    # Category lines given a next-round estimate when forecasts were made again (None: the
    # stored ones still hold).
    forecasts_estimated: int | None = None


async def ingest_bytes(
    conn: asyncpg.Connection, data: bytes, *, source: str, force: bool = False
) -> IngestReport:
    """Parse ``data`` and store it. Raises ``IngestError`` with the store untouched."""
    started_at = datetime.now(UTC)
    parsed = parse_rounds_file(data)
    sha256 = hashlib.sha256(data).hexdigest()
    # IRCC's file is cumulative: a copy is as new as its newest round (api/ingest/vintages.py).
    vintage = max(r.seq for r in parsed.rounds)
    async with conn.transaction():
        await conn.execute(query("ingest_lock"), INGEST_LOCK)
        stored_count = await conn.fetchval(query("count_draws"))
        if not force and len(parsed.rounds) < SHRINK_LIMIT * stored_count:
            raise IngestError(
                f"refused: the file has {len(parsed.rounds)} rounds but the store has "
                f"{stored_count}; a truncated download? Re-run with --force to ingest it anyway "
                "(no stored round is ever deleted)"
            )
        store_vintage = await conn.fetchval(query("store_vintage"))
        older = store_vintage is not None and vintage < store_vintage
        run_id = await conn.fetchval(
            query("start_run"),
            source,
            sha256,
            started_at,
            len(parsed.rounds),
            force,
            vintage,
            older,
        )
        stored = {r["number"]: r for r in await conn.fetch(query("stored_draws"))}
        category_ids, new_categories = await _store_categories(conn, parsed)
        counts = await _store_draws(conn, parsed, stored, category_ids, run_id, vintage)
        renamed = await _name_categories(conn)
        changed_snaps, retracted = await _store_snapshots(conn, parsed, stored, vintage)
        # Derived from the rounds just written, so not a change of data by itself.
        await store_csv_lines(conn)
        flagged = [
            FlaggedTimestamp(
                r.number,
                [f for f in r.flags if f in TIMESTAMP_FLAGS],
                r.run_at_raw,
                r.tie_break_at_raw,
            )
            for r in parsed.rounds
            if TIMESTAMP_FLAGS.intersection(r.flags)
        ]
        changed_rounds = bool(
            counts.new
            or counts.changed
            or counts.reparsed
            or counts.history
            or new_categories
            or renamed
            or changed_snaps
            or retracted
        )
        # Derived from the rounds like the CSV lines, but a release with another method changes
        # what is served: that is a change of data (a new version, so caches drop the old).
        forecasts_stale = not await forecasts_are_current(conn)
        forecasts_estimated = None
        if changed_rounds or forecasts_stale:
            forecasts_estimated = await store_forecasts(conn)
        changed_data = changed_rounds or forecasts_stale
        await conn.execute(
            query("finish_run"),
            run_id,
            counts.new,
            counts.changed,
            counts.unchanged,
            len(new_categories),
            changed_snaps + retracted,
            len(flagged),
            changed_data,
        )
        if changed_data:
            version = await conn.fetchval(query("bump_data_version"), run_id)
        else:
            version = await conn.fetchval(query("data_version"))
        store_id = await conn.fetchval(query("store_id"))
    return IngestReport(
        run_id=run_id,
        source=source,
        sha256=sha256,
        rounds_in_file=len(parsed.rounds),
        rounds_new=counts.new,
        rounds_changed=counts.changed,
        rounds_unchanged=counts.unchanged,
        rounds_reparsed=counts.reparsed,
        rounds_history=counts.history,
        newest_round=max(parsed.rounds, key=lambda r: r.seq).number,
        older_vintage=older,
        categories_new=new_categories,
        snapshots_changed=changed_snaps,
        snapshots_retracted=retracted,
        timestamps_flagged=flagged,
        changed_data=changed_data,
        data_version=version,
        store_id=store_id,
        forecasts_estimated=forecasts_estimated,
    )


async def _store_categories(
    conn: asyncpg.Connection, parsed: ParsedFile
) -> tuple[dict[str, int], list[str]]:
    by_slug = {r["slug"]: r for r in await conn.fetch(query("all_categories"))}
    ids = {slug: row["id"] for slug, row in by_slug.items()}
    new: list[str] = []
    for r in sorted(parsed.rounds, key=lambda r: r.seq):
        slug = r.category.slug
        if slug not in ids:
            ids[slug] = await conn.fetchval(
                query("insert_category"), slug, r.category.name, r.category.kind
            )
            new.append(slug)
    aliases = {(r.name, ids[r.category.slug], r.category.version) for r in parsed.rounds}
    await conn.executemany(query("upsert_alias"), sorted(aliases, key=str))
    return ids, new


async def _name_categories(conn: asyncpg.Connection) -> int:
    """A line's display name is its newest stored round's, whichever file came last."""
    renamed = 0
    for row in await conn.fetch(query("newest_draw_names")):
        status = await conn.execute(
            query("rename_category"), row["category_id"], classify_draw_name(row["name"]).name
        )
        renamed += status == "UPDATE 1"
    return renamed


def _row(r: ParsedRound, category_id: int) -> tuple[Any, ...]:
    return (
        r.number,
        r.seq,
        r.draw_date,
        r.name,
        category_id,
        r.category.version,
        r.invitations,
        r.crs_min,
        r.programs,
        r.run_at,
        r.run_at_raw,
        r.tie_break_at,
        r.tie_break_at_raw,
        r.distribution_date if r.distribution is not None else None,
        list(r.flags),
        r.published,
    )


class DrawCounts(msgspec.Struct, kw_only=True):
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    reparsed: int = 0
    # Rounds of an older copy whose values were recorded in their history.
    history: int = 0


async def _store_draws(
    conn: asyncpg.Connection,
    parsed: ParsedFile,
    stored: dict[str, asyncpg.Record],
    category_ids: dict[str, int],
    run_id: int,
    vintage: int,
) -> DrawCounts:
    counts = DrawCounts()
    upserts: list[tuple[Any, ...]] = []
    revisions: list[tuple[Any, ...]] = []
    confirmed: list[str] = []
    older: list[ParsedRound] = []
    for r in parsed.rounds:
        row = _row(r, category_ids[r.category.slug])
        old = stored.get(r.number)
        if old is None:
            counts.new += 1
        elif vintage < old["published_latest"]:
            if old["published"] == r.published:
                counts.unchanged += 1
            else:
                older.append(r)
            continue
        elif old["published"] != r.published:
            counts.changed += 1
            old_values, new_values = diff(old["published"], r.published)
            revisions.append(
                (r.number, run_id, old_values, new_values, old["published_since"], vintage)
            )
        elif tuple(old.values())[: len(row)] != row:
            counts.reparsed += 1
        else:
            counts.unchanged += 1
            confirmed.append(r.number)
            continue
        upserts.append((*row, run_id, vintage))
    await conn.executemany(query("upsert_draw"), upserts)
    await conn.executemany(query("insert_revision"), revisions)
    await conn.execute(query("confirm_draws"), confirmed, vintage)
    counts.history = await _record_older(conn, older, stored, run_id, vintage)
    counts.unchanged += len(older) - counts.history
    return counts


async def _record_older(
    conn: asyncpg.Connection,
    rounds: list[ParsedRound],
    stored: dict[str, asyncpg.Record],
    run_id: int,
    vintage: int,
) -> int:
    """Place an older copy's values in each round's history; the current values stay."""
    if not rounds:
        return 0
    existing: dict[str, list[asyncpg.Record]] = {}
    for row in await conn.fetch(query("draw_revision_steps"), [r.number for r in rounds]):
        existing.setdefault(row["draw_number"], []).append(row)
    recorded = 0
    for r in rounds:
        old = stored[r.number]
        kept = existing.get(r.number, [])
        current = Current(
            values=old["published"], since=old["published_since"], latest=old["published_latest"]
        )
        before = [
            Step(
                old_values=e["old_values"],
                new_values=e["new_values"],
                old_vintage=e["old_vintage"],
                new_vintage=e["new_vintage"],
            )
            for e in kept
        ]
        placed = place(history(current, before), vintage, r.published)
        if placed is None:
            continue
        after = steps(placed)
        if after == before:
            continue
        recorded += 1
        # A step already recorded keeps the run that recorded it.
        runs = [
            next((e["ingest_run_id"] for e, b in zip(kept, before, strict=True) if b == s), run_id)
            for s in after
        ]
        await conn.execute(query("delete_revisions"), r.number)
        await conn.executemany(
            query("insert_revision"),
            [
                (r.number, run, s.old_values, s.new_values, s.old_vintage, s.new_vintage)
                for s, run in zip(after, runs, strict=True)
            ],
        )
        await conn.execute(query("set_published_since"), r.number, placed[-1].vintage)
    return recorded


async def _store_snapshots(
    conn: asyncpg.Connection,
    parsed: ParsedFile,
    stored_draws: dict[str, asyncpg.Record],
    vintage: int,
) -> tuple[int, int]:
    stored = {r["snapshot_date"]: r for r in await conn.fetch(query("stored_snapshots"))}
    if any(vintage < d["published_latest"] for d in stored_draws.values()):
        return await _store_older_snapshots(conn, parsed, stored, stored_draws, vintage), 0
    changed = 0
    for snap in parsed.snapshots:
        old = stored.get(snap.snapshot_date)
        if (
            old is not None
            and not old["retracted"]
            and (old["total"], old["source_draw"], tuple(old["flags"]), tuple(old["bands"]))
            == (snap.total, snap.source_draw, snap.flags, snap.bands)
        ):
            continue
        changed += 1
        await _write_snapshot(conn, snap)
    # A date no round publishes any more was withdrawn by IRCC: keep it, stop serving it.
    # Only judge snapshots whose publishing round is in this file: a partial file says nothing.
    in_file = {s.snapshot_date for s in parsed.snapshots}
    numbers = {r.number for r in parsed.rounds}
    retracted = 0
    for snapshot_date, old in stored.items():
        withdrawn = snapshot_date not in in_file and old["source_draw"] in numbers
        if withdrawn and not old["retracted"]:
            await conn.execute(query("retract_snapshot"), snapshot_date)
            retracted += 1
    return changed, retracted


async def _write_snapshot(conn: asyncpg.Connection, snap: ParsedSnapshot) -> None:
    await conn.execute(
        query("upsert_snapshot"), snap.snapshot_date, snap.total, snap.source_draw, list(snap.flags)
    )
    await conn.execute(query("delete_bands"), snap.snapshot_date)
    await conn.executemany(
        query("insert_band"),
        [
            (snap.snapshot_date, i + 1, lo, hi, snap.bands[i], subtotal)
            for i, (lo, hi, subtotal) in enumerate(BANDS)
        ],
    )


async def _store_older_snapshots(
    conn: asyncpg.Connection,
    parsed: ParsedFile,
    stored: dict[Any, asyncpg.Record],
    stored_draws: dict[str, asyncpg.Record],
    vintage: int,
) -> int:
    """An older copy adds only dates the store lacks, retracted when a newer copy of their
    round no longer publishes them: what ingesting the copies in order would have left."""
    added = 0
    for snap in parsed.snapshots:
        if snap.snapshot_date in stored:
            continue
        added += 1
        await _write_snapshot(conn, snap)
        publisher = stored_draws.get(snap.source_draw)
        if publisher is not None and vintage < publisher["published_latest"]:
            await conn.execute(query("retract_snapshot"), snap.snapshot_date)
    return added
