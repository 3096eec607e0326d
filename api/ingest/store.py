"""Upsert a parsed rounds file into PostgreSQL, in one transaction. The only writer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec

from api.db import INGEST_LOCK, query
from api.ingest.ircc import BANDS, IngestError, ParsedFile, ParsedRound, parse_rounds_file

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
    categories_new: list[str]
    snapshots_changed: int
    snapshots_retracted: int
    timestamps_flagged: list[FlaggedTimestamp]
    changed_data: bool
    data_version: int


async def ingest_bytes(
    conn: asyncpg.Connection, data: bytes, *, source: str, force: bool = False
) -> IngestReport:
    """Parse ``data`` and store it. Raises ``IngestError`` with the store untouched."""
    started_at = datetime.now(UTC)
    parsed = parse_rounds_file(data)
    sha256 = hashlib.sha256(data).hexdigest()
    async with conn.transaction():
        await conn.execute(query("ingest_lock"), INGEST_LOCK)
        stored_count = await conn.fetchval(query("count_draws"))
        if not force and len(parsed.rounds) < SHRINK_LIMIT * stored_count:
            raise IngestError(
                f"refused: the file has {len(parsed.rounds)} rounds but the store has "
                f"{stored_count}; a truncated download? Re-run with --force to ingest it anyway "
                "(no stored round is ever deleted)"
            )
        run_id = await conn.fetchval(
            query("start_run"), source, sha256, started_at, len(parsed.rounds), force
        )
        category_ids, new_categories = await _store_categories(conn, parsed)
        counts = await _store_draws(conn, parsed, category_ids, run_id)
        changed_snaps, retracted = await _store_snapshots(conn, parsed)
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
        new, changed, unchanged, reparsed = counts
        changed_data = bool(
            new or changed or reparsed or new_categories or changed_snaps or retracted
        )
        await conn.execute(
            query("finish_run"),
            run_id,
            new,
            changed,
            unchanged,
            len(new_categories),
            changed_snaps + retracted,
            len(flagged),
            changed_data,
        )
        if changed_data:
            version = await conn.fetchval(query("bump_data_version"), run_id)
        else:
            version = await conn.fetchval(query("data_version"))
    return IngestReport(
        run_id=run_id,
        source=source,
        sha256=sha256,
        rounds_in_file=len(parsed.rounds),
        rounds_new=new,
        rounds_changed=changed,
        rounds_unchanged=unchanged,
        rounds_reparsed=reparsed,
        categories_new=new_categories,
        snapshots_changed=changed_snaps,
        snapshots_retracted=retracted,
        timestamps_flagged=flagged,
        changed_data=changed_data,
        data_version=version,
    )


async def _store_categories(
    conn: asyncpg.Connection, parsed: ParsedFile
) -> tuple[dict[str, int], list[str]]:
    by_slug = {r["slug"]: r for r in await conn.fetch(query("all_categories"))}
    ids = {slug: row["id"] for slug, row in by_slug.items()}
    new: list[str] = []
    # The newest round of a line names it: IRCC's current wording is the display name.
    for r in sorted(parsed.rounds, key=lambda r: r.seq):
        slug = r.category.slug
        if slug not in ids:
            ids[slug] = await conn.fetchval(
                query("insert_category"), slug, r.category.name, r.category.kind
            )
            new.append(slug)
    newest: dict[str, ParsedRound] = {}
    for r in parsed.rounds:
        if r.category.slug not in newest or r.seq > newest[r.category.slug].seq:
            newest[r.category.slug] = r
    for slug, r in newest.items():
        await conn.execute(query("rename_category"), ids[slug], r.category.name)
    aliases = {(r.name, ids[r.category.slug], r.category.version) for r in parsed.rounds}
    await conn.executemany(query("upsert_alias"), sorted(aliases, key=str))
    return ids, new


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


async def _store_draws(
    conn: asyncpg.Connection, parsed: ParsedFile, category_ids: dict[str, int], run_id: int
) -> tuple[int, int, int, int]:
    stored = {r["number"]: tuple(r.values()) for r in await conn.fetch(query("stored_draws"))}
    upserts: list[tuple[Any, ...]] = []
    revisions: list[tuple[Any, ...]] = []
    new = changed = unchanged = reparsed = 0
    for r in parsed.rounds:
        row = _row(r, category_ids[r.category.slug])
        old = stored.get(r.number)
        if old is None:
            new += 1
        elif old[-1] != r.published:
            changed += 1
            revisions.append((r.number, run_id, *_published_diff(old[-1], r.published)))
        elif old != row:
            reparsed += 1
        else:
            unchanged += 1
            continue
        upserts.append((*row, run_id))
    await conn.executemany(query("upsert_draw"), upserts)
    await conn.executemany(query("insert_revision"), revisions)
    return new, changed, unchanged, reparsed


def _published_diff(
    old: dict[str, str], new: dict[str, str]
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


async def _store_snapshots(conn: asyncpg.Connection, parsed: ParsedFile) -> tuple[int, int]:
    stored = {r["snapshot_date"]: r for r in await conn.fetch(query("stored_snapshots"))}
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
        await conn.execute(
            query("upsert_snapshot"),
            snap.snapshot_date,
            snap.total,
            snap.source_draw,
            list(snap.flags),
        )
        await conn.execute(query("delete_bands"), snap.snapshot_date)
        await conn.executemany(
            query("insert_band"),
            [
                (snap.snapshot_date, i + 1, lo, hi, snap.bands[i], subtotal)
                for i, (lo, hi, subtotal) in enumerate(BANDS)
            ],
        )
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
