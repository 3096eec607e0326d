"""The read layer: one async function per question the API answers.

REST and GraphQL both call these, so they can never disagree and no SQL is written twice.
Each function takes a pool (or connection) and returns msgspec structs from ``api.models``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import msgspec

from api.db import query
from api.errors import InvalidParameter, NotFound
from api.filters import DEFAULT_LIMIT as DEFAULT_LIMIT
from api.filters import MAX_LIMIT as MAX_LIMIT
from api.filters import SORTS as SORTS
from api.filters import DrawFilter as DrawFilter
from api.filters import DrawQuery as DrawQuery
from api.filters import DrawSort as DrawSort
from api.filters import check_slug, echo, where_clause
from api.ingest.ircc import API_FIELDS
from api.models import (
    Category,
    CategoryRef,
    DataStamp,
    Draw,
    DrawPage,
    DrawRevision,
    IngestSummary,
    PoolBand,
    PoolSnapshot,
    PoolSnapshotSummary,
    RevisionChange,
    Status,
    YearlyStat,
)


class Db(Protocol):
    """What the read layer needs: an asyncpg pool or connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def fetchrow(self, query: str, *args: Any) -> Any: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...


class _Order(msgspec.Struct, frozen=True):
    key: str
    cast: str
    descending: bool


_ORDERS: dict[str, _Order] = {
    "date": _Order("draw_date", "date", False),
    "-date": _Order("draw_date", "date", True),
    "crs_min": _Order("crs_min", "int", False),
    "-crs_min": _Order("crs_min", "int", True),
    "invitations": _Order("invitations", "int", False),
    "-invitations": _Order("invitations", "int", True),
}


@functools.cache
def _list_draws_sql(sort: str) -> str:
    order = _ORDERS[sort]
    arg = len(DrawFilter.__struct_fields__) + 1
    return query("list_draws").format(
        where=where_clause(),
        after_key=f"${arg}",
        after_seq=f"${arg + 1}",
        limit=f"${arg + 2}",
        key=order.key,
        cast=order.cast,
        op="<" if order.descending else ">",
        dir="DESC" if order.descending else "ASC",
    )


# --- draws -------------------------------------------------------------------------------


def _draw(row: Any) -> Draw:
    return Draw(
        number=row["number"],
        date=row["draw_date"],
        category=CategoryRef(
            slug=row["category_slug"], name=row["category_name"], version=row["category_version"]
        ),
        name=row["name"],
        invitations=row["invitations"],
        crs_min=row["crs_min"],
        programs=row["programs"],
        run_at=row["run_at"],
        tie_break_at=row["tie_break_at"],
        pool_snapshot_date=row["pool_snapshot_date"],
        flags=list(row["flags"]),
    )


class _Cursor(msgspec.Struct, array_like=True, frozen=True):
    sort: str
    key: str
    seq: int


def encode_cursor(sort: str, key: object, seq: int) -> str:
    raw = msgspec.json.encode(_Cursor(sort, str(key), seq))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str) -> _Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidParameter("`cursor` is not a cursor this API issued") from None
    if decoded.sort != sort:
        if decoded.sort not in _ORDERS:
            raise InvalidParameter("`cursor` is not a cursor this API issued")
        raise InvalidParameter(
            f"`cursor` was issued for `sort={decoded.sort}`, not `sort={sort}`: "
            "keep the sort of the page it came from"
        )
    # Only what PostgreSQL can take as the key's type and as seq (an int): anything else was
    # not issued here, and must be a 400, not a cast error.
    key = _CURSOR_DATE if _ORDERS[sort].cast == "date" else _CURSOR_INT
    if not key.fullmatch(decoded.key) or not 0 <= decoded.seq < 2**31:
        raise InvalidParameter("`cursor` is not a cursor this API issued")
    if key is _CURSOR_DATE:
        try:
            date.fromisoformat(decoded.key)
        except ValueError:
            raise InvalidParameter("`cursor` is not a cursor this API issued") from None
    return decoded


_CURSOR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURSOR_INT = re.compile(r"-?\d{1,9}")


async def _check_categories(db: Db, slugs: Sequence[str]) -> None:
    if not slugs:
        return
    known = {r["slug"] for r in await db.fetch(query("known_category_slugs"), list(slugs))}
    unknown = sorted(set(slugs) - known)
    if unknown:
        raise InvalidParameter(
            f"unknown category {', '.join(map(echo, unknown))}; the slugs are at /v1/categories"
        )


class DrawRows(msgspec.Struct, frozen=True, kw_only=True):
    """Draws as a query returned them, each with the cursor that resumes after it."""

    draws: list[Draw]
    cursors: list[str]
    next_cursor: str | None

    def page(self) -> DrawPage:
        return DrawPage(data=self.draws, next_cursor=self.next_cursor)


async def list_draws(db: Db, q: DrawQuery) -> DrawRows:
    """Draws matching ``q.filter`` in ``q.sort`` order after ``q.cursor``: ``q.limit`` of them,
    or every one when ``q.limit`` is None."""
    after = decode_cursor(q.cursor, q.sort) if q.cursor else None
    await _check_categories(db, q.filter.categories)
    rows = await db.fetch(
        _list_draws_sql(q.sort),
        *q.filter.args(),
        after.key if after else None,
        after.seq if after else None,
        None if q.limit is None else q.limit + 1,
    )
    page = rows if q.limit is None else rows[: q.limit]
    # The cursor of a row is made from what the query returned for it (its sort key and seq).
    cursors = [encode_cursor(q.sort, r["sort_key"], r["seq"]) for r in page]
    more = q.limit is not None and len(rows) > q.limit
    return DrawRows(
        draws=[_draw(r) for r in page], cursors=cursors, next_cursor=cursors[-1] if more else None
    )


@functools.cache
def _count_draws_sql() -> str:
    return query("count_draws_filtered").format(where=where_clause())


async def count_draws(db: Db, f: DrawFilter) -> int:
    await _check_categories(db, f.categories)
    count: int = await db.fetchval(_count_draws_sql(), *f.args())
    return count


# Any run of digits is a well-formed round number (a long one simply does not exist).
_NUMBER = re.compile(r"^0*(\d{1,64})([a-zA-Z]?)$")


def normalise_draw_number(number: str) -> str:
    """The canonical spelling of a round number: ``00385`` is ``385``, ``91B`` is ``91b``."""
    match = _NUMBER.match(number.strip())
    if not match:
        raise InvalidParameter(f"{echo(number)} is not a round number (e.g. 385 or 91b)")
    return f"{int(match.group(1))}{match.group(2).lower()}"


async def get_draw(db: Db, number: str) -> Draw:
    normalised = normalise_draw_number(number)
    row = await db.fetchrow(query("draw_by_number"), normalised)
    if row is None:
        raise NotFound(f"there is no round {echo(normalised)}")
    return _draw(row)


async def latest_draw(db: Db, category: str | Sequence[str] | None = None) -> Draw:
    """The newest round, or the newest of the rounds in any of ``category``."""
    slugs = [category] if isinstance(category, str) else list(dict.fromkeys(category or ()))
    for slug in slugs:
        check_slug("category", slug)
    await _check_categories(db, slugs)
    row = await db.fetchrow(query("latest_draw"), slugs or None)
    if row is None:
        raise NotFound(
            "no round has been ingested"
            if not slugs
            else f"no round in category {', '.join(map(echo, slugs))}"
        )
    return _draw(row)


async def draws_by_snapshot_dates(db: Db, dates: Iterable[date]) -> dict[date, list[Draw]]:
    found: dict[date, list[Draw]] = {}
    for row in await db.fetch(query("draws_by_snapshot_dates"), list(dates)):
        found.setdefault(row["pool_snapshot_date"], []).append(_draw(row))
    return found


async def draw_revisions(db: Db, number: str) -> list[DrawRevision]:
    draw = await get_draw(db, number)
    rows = await db.fetch(query("draw_revisions"), draw.number)
    return [_revision(r) for r in rows]


def _revision(row: Any) -> DrawRevision:
    old, new = row["old_values"], row["new_values"]
    changes = [
        RevisionChange(field=API_FIELDS.get(key), ircc_key=key, old=old.get(key), new=new.get(key))
        for key in sorted(old.keys() | new.keys())
    ]
    return DrawRevision(
        draw_number=row["draw_number"],
        ingested_at=row["ingested_at"],
        changes=changes,
        old_values=old,
        new_values=new,
    )


# --- categories --------------------------------------------------------------------------


async def list_categories(db: Db) -> list[Category]:
    raw: str = await db.fetchval(query("categories_json"), None)
    return msgspec.json.decode(raw, type=list[Category])


async def get_category(db: Db, slug: str) -> Category:
    check_slug("slug", slug)
    raw: str = await db.fetchval(query("categories_json"), slug)
    found = msgspec.json.decode(raw, type=list[Category])
    if not found:
        raise NotFound(f"there is no category {echo(slug)}; the slugs are at /v1/categories")
    return found[0]


# --- pool --------------------------------------------------------------------------------


async def list_pool_snapshots(
    db: Db, date_from: date | None = None, date_to: date | None = None
) -> list[PoolSnapshotSummary]:
    if date_from and date_to and date_from > date_to:
        raise InvalidParameter(f"`from` ({date_from}) is after `to` ({date_to})")
    rows = await db.fetch(query("list_pool_snapshots"), date_from, date_to)
    return [
        PoolSnapshotSummary(
            date=r["snapshot_date"],
            total=r["total"],
            source_draw=r["source_draw"],
            flags=list(r["flags"]),
        )
        for r in rows
    ]


async def pool_snapshots(db: Db, dates: Iterable[date]) -> dict[date, PoolSnapshot]:
    """Snapshots with their bands, by date; dates with no (served) snapshot are left out."""
    found = {}
    for r in await db.fetch(query("pool_snapshots_with_bands"), list(dates)):
        bands = [
            PoolBand(band=b, crs_lo=lo, crs_hi=hi, candidates=n, is_subtotal=sub)
            for b, lo, hi, n, sub in zip(
                r["band"],
                r["crs_lo"],
                r["crs_hi"],
                r["candidates"],
                r["is_subtotal"],
                strict=True,
            )
        ]
        found[r["snapshot_date"]] = PoolSnapshot(
            date=r["snapshot_date"],
            total=r["total"],
            source_draw=r["source_draw"],
            flags=list(r["flags"]),
            bands=bands,
        )
    return found


async def get_pool_snapshot(db: Db, snapshot_date: date) -> PoolSnapshot:
    found = await pool_snapshots(db, [snapshot_date])
    if snapshot_date not in found:
        raise NotFound(f"there is no pool snapshot for {snapshot_date}; the dates are at /v1/pool")
    return found[snapshot_date]


async def latest_pool_snapshot(db: Db) -> PoolSnapshot:
    newest = await db.fetchval(query("latest_pool_snapshot_date"))
    if newest is None:
        raise NotFound("no pool snapshot has been published")
    return await get_pool_snapshot(db, newest)


# --- stats and status --------------------------------------------------------------------


async def yearly_stats(db: Db, *, by_category: bool = False) -> list[YearlyStat]:
    if not by_category:
        return [YearlyStat(**dict(r.items())) for r in await db.fetch(query("yearly_stats"))]
    return [
        YearlyStat(
            year=r["year"],
            category=CategoryRef(slug=r["category_slug"], name=r["category_name"], version=None),
            draws=r["draws"],
            invitations=r["invitations"],
            crs_min=r["crs_min"],
            crs_max=r["crs_max"],
            crs_mean=r["crs_mean"],
        )
        for r in await db.fetch(query("yearly_stats_by_category"))
    ]


async def status(db: Db) -> Status:
    r = await db.fetchrow(query("status"))
    last = None
    if r["finished_at"] is not None:
        last = IngestSummary(
            finished_at=r["finished_at"],
            source=r["source"],
            sha256=r["sha256"],
            rounds_in_file=r["rounds_in_file"],
            rounds_new=r["rounds_new"],
            rounds_changed=r["rounds_changed"],
            changed_data=r["changed_data"],
        )
    return Status(
        data_version=r["data_version"],
        data_changed_at=r["changed_at"],
        last_ingest=last,
        newest_draw=r["newest_draw"],
        newest_draw_date=r["newest_draw_date"],
        draws=r["draws"],
        categories=r["categories"],
        pool_snapshots=r["pool_snapshots"],
    )


async def data_stamp(db: Db) -> DataStamp:
    """The data's version, change time, newest round date and last ingest source."""
    r = await db.fetchrow(query("data_stamp"))
    return DataStamp(
        data_version=r["data_version"],
        data_changed_at=r["changed_at"],
        newest_draw_date=r["newest_draw_date"],
        source=r["source"],
    )
