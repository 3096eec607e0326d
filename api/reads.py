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
from typing import Any, Literal, Protocol

import msgspec

from api.db import query
from api.errors import InvalidParameter, NotFound
from api.models import (
    Category,
    CategoryRef,
    Draw,
    DrawPage,
    DrawRevision,
    IngestSummary,
    PoolBand,
    PoolSnapshot,
    PoolSnapshotSummary,
    Status,
    YearlyStat,
)

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

DrawSort = Literal["date", "-date", "crs_min", "-crs_min", "invitations", "-invitations"]
SORTS: tuple[str, ...] = ("date", "-date", "crs_min", "-crs_min", "invitations", "-invitations")


class Db(Protocol):
    """What the read layer needs: an asyncpg pool or connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def fetchrow(self, query: str, *args: Any) -> Any: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...


class DrawFilter(msgspec.Struct, frozen=True, kw_only=True):
    categories: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    min_crs: int | None = None
    max_crs: int | None = None
    min_invitations: int | None = None

    def args(self) -> tuple[Any, ...]:
        return (
            list(self.categories) or None,
            self.date_from,
            self.date_to,
            self.min_crs,
            self.max_crs,
            self.min_invitations,
        )


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
    return query("list_draws").format(
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
        raise InvalidParameter("cursor is not a cursor this API issued") from None
    if decoded.sort != sort:
        raise InvalidParameter(
            f"cursor was issued for sort={decoded.sort!r}, not sort={sort!r}: "
            "keep the sort of the page it came from"
        )
    try:
        if _ORDERS[sort].cast == "date":
            date.fromisoformat(decoded.key)
        else:
            int(decoded.key)
    except ValueError:
        raise InvalidParameter("cursor is not a cursor this API issued") from None
    return decoded


async def _check_categories(db: Db, slugs: Sequence[str]) -> None:
    if not slugs:
        return
    known = {r["slug"] for r in await db.fetch(query("known_category_slugs"), list(slugs))}
    unknown = sorted(set(slugs) - known)
    if unknown:
        raise InvalidParameter(
            f"unknown category {', '.join(map(repr, unknown))}; the slugs are at /v1/categories"
        )


def check_filter(f: DrawFilter) -> None:
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidParameter(f"from ({f.date_from}) is after to ({f.date_to})")
    if f.min_crs is not None and f.max_crs is not None and f.min_crs > f.max_crs:
        raise InvalidParameter(f"min_crs ({f.min_crs}) is above max_crs ({f.max_crs})")


async def list_draws(
    db: Db,
    f: DrawFilter,
    *,
    sort: str = "-date",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> DrawPage:
    """A page of draws matching ``f``, in ``sort`` order, after ``cursor``."""
    if sort not in _ORDERS:
        raise InvalidParameter(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be between 1 and {MAX_LIMIT}")
    check_filter(f)
    after = decode_cursor(cursor, sort) if cursor else None
    await _check_categories(db, f.categories)
    rows = await db.fetch(
        _list_draws_sql(sort),
        *f.args(),
        after.key if after else None,
        after.seq if after else None,
        limit + 1,
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(sort, last["sort_key"], last["seq"])
    return DrawPage(data=[_draw(r) for r in page], next_cursor=next_cursor)


async def count_draws(db: Db, f: DrawFilter) -> int:
    check_filter(f)
    await _check_categories(db, f.categories)
    count: int = await db.fetchval(query("count_draws_filtered"), *f.args())
    return count


_NUMBER = re.compile(r"^0*(\d{1,6})([a-zA-Z]?)$")


def normalise_draw_number(number: str) -> str:
    match = _NUMBER.match(number.strip())
    if not match:
        raise InvalidParameter(f"{number!r} is not a round number (e.g. 385 or 91b)")
    return f"{int(match.group(1))}{match.group(2).lower()}"


async def get_draw(db: Db, number: str) -> Draw:
    normalised = normalise_draw_number(number)
    row = await db.fetchrow(query("draw_by_number"), normalised)
    if row is None:
        raise NotFound(f"there is no round {normalised}")
    return _draw(row)


async def latest_draw(db: Db, category: str | None = None) -> Draw:
    if category is not None:
        await _check_categories(db, [category])
    row = await db.fetchrow(query("latest_draw"), category)
    if row is None:
        raise NotFound(
            "no round has been ingested"
            if category is None
            else f"no round in category {category!r}"
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
    return [DrawRevision(**dict(r.items())) for r in rows]


# --- categories --------------------------------------------------------------------------


async def list_categories(db: Db) -> list[Category]:
    raw: str = await db.fetchval(query("categories_json"), None)
    return msgspec.json.decode(raw, type=list[Category])


async def get_category(db: Db, slug: str) -> Category:
    raw: str = await db.fetchval(query("categories_json"), slug)
    found = msgspec.json.decode(raw, type=list[Category])
    if not found:
        raise NotFound(f"there is no category {slug!r}; the slugs are at /v1/categories")
    return found[0]


# --- pool --------------------------------------------------------------------------------


async def list_pool_snapshots(
    db: Db, date_from: date | None = None, date_to: date | None = None
) -> list[PoolSnapshotSummary]:
    if date_from and date_to and date_from > date_to:
        raise InvalidParameter(f"from ({date_from}) is after to ({date_to})")
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


# --- exports -----------------------------------------------------------------------------


async def all_draws(db: Db, f: DrawFilter, sort: str = "-date") -> list[Draw]:
    """Every draw matching ``f``, in ``sort`` order: the rows of a spreadsheet export."""
    if sort not in _ORDERS:
        raise InvalidParameter(f"sort must be one of {', '.join(SORTS)}")
    check_filter(f)
    await _check_categories(db, f.categories)
    # The paging query with no cursor and LIMIT NULL (no limit in PostgreSQL).
    rows = await db.fetch(_list_draws_sql(sort), *f.args(), None, None, None)
    return [_draw(r) for r in rows]


# --- a cursor per draw ------------------------------------------------------------------

_DRAW_KEYS = {"draw_date": "date", "crs_min": "crs_min", "invitations": "invitations"}


def draw_cursor(sort: str, draw: Draw) -> str:
    """The cursor ``list_draws`` resumes after ``draw`` from, in ``sort`` order.

    The same string as ``next_cursor`` when ``draw`` ends a page; GraphQL gives one per edge.
    """
    match = _NUMBER.match(draw.number)
    if match is None:
        raise ValueError(f"stored round number {draw.number!r} is not a round number")
    digits, letter = match.groups()
    # draws.seq as ingest stores it: 91 * 100 + letter index, so 91b is 9102.
    seq = int(digits) * 100 + (ord(letter.lower()) - 96 if letter else 0)
    return encode_cursor(sort, getattr(draw, _DRAW_KEYS[_ORDERS[sort].key]), seq)
