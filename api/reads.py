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

from api import exports
from api.columns import DRAWS, draw_of_row, row_reader
from api.db import CopyOut, query, with_literals
from api.errors import InvalidParameter, NotFound, ServiceUnavailable
from api.filters import DEFAULT_LIMIT as DEFAULT_LIMIT
from api.filters import FILTERS, check_int_range, check_slug, echo, parse_choice, where_clause
from api.filters import MAX_LIMIT as MAX_LIMIT
from api.filters import SORTS as SORTS
from api.filters import DrawFilter as DrawFilter
from api.filters import DrawQuery as DrawQuery
from api.filters import DrawSort as DrawSort
from api.ingest.ircc import API_FIELDS, BANDS
from api.models import (
    BacktestRow,
    BacktestSummary,
    BandChange,
    BandHistory,
    BandPoint,
    Category,
    CategoryRef,
    CategoryStanding,
    DataStamp,
    Draw,
    DrawContext,
    DrawPage,
    DrawRevision,
    ForecastBacktest,
    IngestSummary,
    NextRound,
    NextRoundRow,
    PoolBand,
    PoolBandRow,
    PoolChange,
    PoolSnapshot,
    PoolSnapshotSummary,
    PoolStanding,
    RevisionChange,
    RoundRef,
    Series,
    SeriesMeta,
    SeriesPoint,
    Standing,
    Status,
    YearlyStat,
)


class Db(Protocol):
    """What the read layer needs: an asyncpg pool or connection."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def fetchrow(self, query: str, *args: Any) -> Any: ...
    async def fetchval(self, query: str, *args: Any) -> Any: ...


class CopyDb(Db, Protocol):
    """A ``Db`` that also runs ``COPY (query) TO STDOUT (FORMAT csv)`` (``api.db.copy_out``):
    the serving pools (``api.db.ServingDb``, ``api.read_pool.ServingReads``)."""

    async def copy_out(self, query: str) -> CopyOut: ...


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


def _page_args(q: DrawQuery, *extra: Any) -> tuple[Any, ...]:
    """The arguments of ``_list_draws_sql(q.sort)``, then ``extra``."""
    after = decode_cursor(q.cursor, q.sort) if q.cursor else None
    return (
        *q.filter.args(),
        after.key if after else None,
        after.seq if after else None,
        None if q.limit is None else q.limit + 1,
        *extra,
    )


# --- draws -------------------------------------------------------------------------------


# By the names of the model's columns (api.columns): a field added to Draw is read too.
_draw = draw_of_row


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


class DrawRows:
    """Draws as a query returned them, each with the cursor that resumes after it.

    A row's cursor is made from what the query returned for it (its sort key and seq), when
    asked for: a page answered without its cursors (a REST page, most GraphQL pages) encodes
    one, the next page's, or none."""

    __slots__ = ("_cursors", "_keys", "draws", "more", "sort")

    def __init__(self, sort: str, rows: Sequence[Any], *, more: bool) -> None:
        self.sort = sort
        self.draws = [_draw(r) for r in rows]
        self._keys = [(r["sort_key"], r["seq"]) for r in rows]
        self.more = more
        self._cursors: list[str] | None = None

    @property
    def cursors(self) -> list[str]:
        if self._cursors is None:
            self._cursors = [encode_cursor(self.sort, key, seq) for key, seq in self._keys]
        return self._cursors

    @property
    def next_cursor(self) -> str | None:
        if not self.more:
            return None
        if self._cursors is not None:
            return self._cursors[-1]
        return encode_cursor(self.sort, *self._keys[-1])

    def page(self) -> DrawPage:
        return DrawPage(data=self.draws, next_cursor=self.next_cursor)


async def list_draws(db: Db, q: DrawQuery) -> DrawRows:
    """Draws matching ``q.filter`` in ``q.sort`` order after ``q.cursor``: ``q.limit`` of them,
    or every one when ``q.limit`` is None."""
    args = _page_args(q)
    rows = await db.fetch(_list_draws_sql(q.sort), *args)
    page = rows if q.limit is None else rows[: q.limit]
    return DrawRows(q.sort, page, more=q.limit is not None and len(rows) > q.limit)


@functools.cache
def _around_page(name: str, sort: str) -> str:
    """draws.sql's statement ``name`` around ``_list_draws_sql(sort)`` (its arguments are that
    query's): the CSV of rounds' cells for COPY, or the rounds' stored lines."""
    return query(name).format(
        page=_list_draws_sql(sort).rstrip().rstrip(";"),
        dir="DESC" if _ORDERS[sort].descending else "ASC",
        cells=exports.csv_select_sql(DRAWS),
        format=f"'{exports.csv_format(DRAWS)}'",
    )


class CsvLines(msgspec.Struct, frozen=True, kw_only=True):
    """Rows as CSV data lines (no header), and the cursor of the next page if there is one."""

    lines: bytes
    next_cursor: str | None


async def draws_csv(db: CopyDb, q: DrawQuery) -> CsvLines:
    """``list_draws``' rows as the CSV lines ``exports.csv_bytes`` would write for them
    (``columns.DRAWS``): the lines ingest stored for them when there are all of them, else
    written by PostgreSQL's COPY from the statement that reads them (pages always are)."""
    args = _page_args(q)
    if q.limit is None:
        stored = await db.fetchval(_around_page("draws_csv_stored", q.sort), *args)
        if stored is not None:
            return CsvLines(lines=stored.encode(), next_cursor=None)
        copied = await db.copy_out(with_literals(_around_page("draws_csv", q.sort), args))
        return CsvLines(lines=exports.copy_lines(copied.data, copied.rows), next_cursor=None)
    copied = await db.copy_out(with_literals(_around_page("draws_csv_page", q.sort), args))
    lines = exports.copy_lines_with_keys(copied.data, copied.rows)
    if len(lines) <= q.limit:
        return CsvLines(lines=b"".join(line for line, _ in lines), next_cursor=None)
    key, _, seq = lines[q.limit - 1][1].rpartition(" ")
    return CsvLines(
        lines=b"".join(line for line, _ in lines[: q.limit]),
        next_cursor=encode_cursor(q.sort, key, int(seq)),
    )


@functools.cache
def _count_draws_sql() -> str:
    return query("count_draws_filtered").format(where=where_clause())


async def count_draws(db: Db, f: DrawFilter) -> int:
    count: int = await db.fetchval(_count_draws_sql(), *f.args())
    return count


# Any run of digits is a well-formed round number (a long one simply does not exist). ASCII
# digits only, no spaces: the OpenAPI document gives this pattern, and what it refuses is refused.
ROUND_NUMBER = re.compile(r"^0*([0-9]{1,64})([a-zA-Z]?)$")


def normalise_draw_number(number: str) -> str:
    """The canonical spelling of a round number: ``00385`` is ``385``, ``91B`` is ``91b``."""
    match = ROUND_NUMBER.match(number)
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


async def pool_band_rows(db: Db) -> list[PoolBandRow]:
    """Every band of every served snapshot, newest snapshot first, bands in IRCC's order."""
    dates = [s.date for s in await list_pool_snapshots(db)]
    snapshots = await pool_snapshots(db, dates)
    return [
        PoolBandRow(
            date=d,
            band=b.band,
            crs_lo=b.crs_lo,
            crs_hi=b.crs_hi,
            candidates=b.candidates,
            is_subtotal=b.is_subtotal,
        )
        for d in dates
        if d in snapshots
        for b in snapshots[d].bands
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


# --- trends: series, a round's context, pool history, standing ----------------------------

SERIES_FREQUENCIES: tuple[str, ...] = ("draw", "month", "quarter", "year")
CRS_AGGS: tuple[str, ...] = ("min", "max", "mean", "last")
INVITATION_AGGS: tuple[str, ...] = ("sum", "count")
SERIES_TRANSFORMS: tuple[str, ...] = ("change", "pct_change", "yoy", "rolling_mean")
MAX_WINDOW = 120
DEFAULT_WINDOW = 3
MAX_CRS_SCORE = 1200
DEFAULT_LAST = 10
MAX_LAST = 100


class SeriesSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What a series answers: which rounds (the draw filter: its categories make one series
    each, its dates bound the periods), grouped how, aggregated and transformed how.

    ``agg`` None means the measure's default (``min`` for CRS, ``sum`` for invitations).
    """

    filter: DrawFilter = DrawFilter()
    frequency: str = "draw"
    agg: str | None = None
    transform: str | None = None
    window: int | None = None


def _check_series(spec: SeriesSpec, aggs: tuple[str, ...]) -> tuple[str, int | None]:
    """Validates ``spec``; returns the aggregation and the window to use."""
    parse_choice("frequency", spec.frequency, SERIES_FREQUENCIES)
    agg = parse_choice("agg", spec.agg, aggs) if spec.agg is not None else aggs[0]
    if spec.transform is not None:
        parse_choice("transform", spec.transform, SERIES_TRANSFORMS)
    # Two combinations the OpenAPI document cannot rule out are answered, not refused: `window`
    # without rolling_mean has nothing to size (ignored), and yoy per round has no same period a
    # year earlier (its values are null; the series' description says so).
    window = spec.window
    if window is not None:
        check_int_range("window", window, 1, MAX_WINDOW)
    if spec.transform != "rolling_mean":
        return agg, None
    return agg, DEFAULT_WINDOW if window is None else window


@functools.cache
def _trend_sql(name: str, extra: tuple[str, ...]) -> str:
    """Query ``name`` with the draw filter's predicates as {where}, its arguments first (each
    also as {attr}), then ``extra`` arguments in order; placeholders are argument numbers."""
    args = {spec.attr: f"${n}" for n, spec in enumerate(FILTERS, start=1)}
    args.update({name: f"${n}" for n, name in enumerate(extra, start=len(FILTERS) + 1)})
    return query(name).format(where=where_clause(), **args)


_UNITS = {
    "crs": "CRS points",
    "invitations": "invitations",
}


def _series_units(measure: str, agg: str, transform: str | None) -> str:
    base = "rounds" if agg == "count" else _UNITS[measure]
    if transform in ("pct_change", "yoy"):
        return "percent"
    if transform == "change":
        return f"{base}, change from the previous period"
    return base


def _series_description(measure: str, agg: str, spec: SeriesSpec, window: int | None) -> str:
    what = {
        "min": "lowest cut-off CRS score",
        "max": "highest cut-off CRS score",
        "mean": "mean cut-off CRS score",
        "last": "cut-off CRS score of the last round",
        "sum": "invitations issued",
        "count": "number of rounds",
    }[agg]
    per = "per round date" if spec.frequency == "draw" else f"per {spec.frequency}"
    how = {
        None: "",
        "change": "; change from the previous period",
        "pct_change": "; percent change from the previous period",
        "yoy": "; percent change from the same period a year earlier"
        + ("" if spec.frequency != "draw" else " (none for single rounds: null throughout)"),
        "rolling_mean": f"; mean over the last {window} periods",
    }[spec.transform]
    return f"{what} {per}{how}"


def _number(value: float | None) -> int | float | None:
    return int(value) if value is not None and value.is_integer() else value


_SERIES_ARGS = ("measure", "frequency", "agg", "transform", "window")


async def _series(db: Db, measure: str, spec: SeriesSpec, aggs: tuple[str, ...]) -> Series:
    agg, window = _check_series(spec, aggs)
    f = spec.filter
    rows = await db.fetch(
        _trend_sql("series", _SERIES_ARGS),
        *f.args(),
        measure,
        spec.frequency,
        agg,
        spec.transform,
        window,
    )
    meta = SeriesMeta(
        measure=measure,
        categories=list(f.categories) or None,
        date_from=f.date_from,
        date_to=f.date_to,
        frequency=spec.frequency,
        agg=agg,
        transform=spec.transform,
        window=window,
        units=_series_units(measure, agg, spec.transform),
        description=_series_description(measure, agg, spec, window),
    )
    data = [
        SeriesPoint(
            period=r["period"], value=_number(r["value"]), draws=r["draws"], category=r["category"]
        )
        for r in rows
    ]
    return Series(data=data, meta=meta)


async def crs_series(db: Db, spec: SeriesSpec) -> Series:
    """The cut-off CRS score over time: one series per category, or all rounds as one."""
    return await _series(db, "crs", spec, CRS_AGGS)


async def invitation_series(db: Db, spec: SeriesSpec) -> Series:
    """Invitations (or rounds, ``agg="count"``) over time, like ``crs_series``."""
    return await _series(db, "invitations", spec, INVITATION_AGGS)


async def draw_contexts(db: Db, numbers: Iterable[str]) -> dict[str, DrawContext]:
    """The context of each of ``numbers`` (stored spellings) that is a round, by number."""
    rows = await db.fetch(query("draw_contexts"), list(numbers))
    return {r["number"]: _context_decoder.decode(r["context"]) for r in rows}


async def draw_context(db: Db, number: str) -> DrawContext:
    """Round ``number`` among the others: its rank in the year and in its line, the line's year
    so far, the round before it in its line, the pool snapshot published with it."""
    normalised = normalise_draw_number(number)
    found = await draw_contexts(db, [normalised])
    if normalised not in found:
        raise NotFound(f"there is no round {normalised}")
    return found[normalised]


_context_decoder = msgspec.json.Decoder(DrawContext)


def _band_name(lo: int, hi: int) -> str:
    return f"{lo}-{hi}"


# IRCC's bands, numbered as ingest stores them (dd1..dd17): the names and numbers `band` takes,
# known without a query, and the OpenAPI enum of that parameter.
BAND_NAMES: tuple[str, ...] = tuple(_band_name(lo, hi) for lo, hi, _ in BANDS)
BAND_VALUES: tuple[str, ...] = (*BAND_NAMES, *(str(n) for n in range(1, len(BANDS) + 1)))


async def pool_band_history(db: Db, band: str) -> BandHistory:
    """One CRS band's count over every served snapshot, oldest first (none on an empty store).

    ``band`` is the band's range as ``/v1/pool/{date}`` gives it (``crs_lo-crs_hi``, e.g.
    ``451-500``) or its ``band`` number (1..17).
    """
    if band not in BAND_VALUES:
        raise InvalidParameter(
            f"`band` must be one of {', '.join(BAND_NAMES)} (or its number, 1 to "
            f"{len(BANDS)}); got {echo(band)}"
        )
    number = BAND_VALUES.index(band) % len(BANDS) + 1
    lo, hi, subtotal = BANDS[number - 1]
    rows = await db.fetch(query("pool_band_history"), number)
    return BandHistory(
        band=number,
        name=_band_name(lo, hi),
        crs_lo=lo,
        crs_hi=hi,
        is_subtotal=subtotal,
        data=[
            BandPoint(date=r["snapshot_date"], candidates=r["candidates"], total=r["total"])
            for r in rows
        ],
    )


async def pool_changes(db: Db) -> list[PoolChange]:
    """Per served snapshot (newest first), each band's change from the snapshot before it."""
    changes: dict[date, PoolChange] = {}
    for r in await db.fetch(query("pool_changes")):
        change = changes.get(r["snapshot_date"])
        if change is None:
            change = changes[r["snapshot_date"]] = PoolChange(
                date=r["snapshot_date"], previous_date=r["previous_date"], bands=[]
            )
        change.bands.append(
            BandChange(
                band=r["band"],
                name=_band_name(r["crs_lo"], r["crs_hi"]),
                crs_lo=r["crs_lo"],
                crs_hi=r["crs_hi"],
                is_subtotal=r["is_subtotal"],
                candidates=r["candidates"],
                previous_candidates=r["previous_candidates"],
                change=r["change"],
            )
        )
    return list(changes.values())


async def _pool_standing(db: Db, crs: int) -> PoolStanding | None:
    r = await db.fetchrow(query("standing_pool"), crs)
    if r is None:
        return None
    total, above = r["total"], r["candidates_at_or_above"]
    if r["split_lo"] is None:
        method = "sum of the CRS bands at or above the score (the score starts a band)"
    else:
        method = (
            f"sum of the bands above the score, plus {r['split_hi'] - crs + 1} of the "
            f"{r['split_hi'] - r['split_lo'] + 1} scores of band "
            f"{_band_name(r['split_lo'], r['split_hi'])} ({r['split_candidates']:,} candidates), "
            "assuming its candidates are spread evenly over its scores; rounded"
        )
    return PoolStanding(
        date=r["snapshot_date"],
        candidates_at_or_above=above,
        total=total,
        share=r["share"],
        exact=r["split_lo"] is None,
        method=method,
    )


async def standing(
    db: Db,
    crs: int,
    categories: Sequence[str] | DrawFilter = (),
    last: int = DEFAULT_LAST,
) -> Standing:
    """Where a CRS score stands: the pool at or above it, and per category line how many of its
    ``last`` newest rounds (of those ``categories``, or matching that draw filter) it met."""
    check_int_range("crs", crs, 0, MAX_CRS_SCORE)
    check_int_range("last", last, 1, MAX_LAST)
    f = (
        categories
        if isinstance(categories, DrawFilter)
        else DrawFilter(categories=tuple(categories))
    )
    rows = await db.fetch(_trend_sql("standing_draws", ("crs", "last")), *f.args(), crs, last)
    lines = [
        CategoryStanding(
            category=r["slug"],
            name=r["name"],
            rounds=r["rounds"],
            met=r["met"],
            latest_round=RoundRef(
                number=r["last_number"], date=r["last_date"], crs_min=r["last_crs_min"]
            ),
            latest_met=None
            if r["met_number"] is None
            else RoundRef(number=r["met_number"], date=r["met_date"], crs_min=r["met_crs_min"]),
        )
        for r in rows
    ]
    return Standing(crs=crs, last=last, pool=await _pool_standing(db, crs), draws=lines)


# --- rounds of several categories (GraphQL's Category.draws, batched) -------------------


@functools.cache
def _draws_of_categories_sql(sort: str) -> str:
    order = _ORDERS[sort]
    return query("draws_of_categories").format(
        key=order.key,
        cast=order.cast,
        op="<" if order.descending else ">",
        dir="DESC" if order.descending else "ASC",
    )


async def draws_of_categories(
    db: Db,
    slugs: Sequence[str],
    *,
    sort: str = "-date",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, DrawRows]:
    """The same page of each category's draws, in one statement; unknown slugs get none."""
    # The sort and limit are checked where they come from (DrawQuery, GraphQL's `first`).
    after = decode_cursor(cursor, sort) if cursor else None
    rows = await db.fetch(
        _draws_of_categories_sql(sort),
        list(dict.fromkeys(slugs)),
        after.key if after else None,
        after.seq if after else None,
        limit + 1,
    )
    by_slug: dict[str, list[Any]] = {slug: [] for slug in slugs}
    for row in rows:
        by_slug[row["category_slug"]].append(row)
    pages = {}
    for slug, found in by_slug.items():
        pages[slug] = DrawRows(sort, found[:limit], more=len(found) > limit)
    return pages


async def count_draws_of_categories(db: Db, slugs: Sequence[str]) -> dict[str, int]:
    """Rounds per category line, for each slug (0 when it has none or does not exist)."""
    rows = await db.fetch(query("count_draws_of_categories"), list(dict.fromkeys(slugs)))
    counts = {slug: 0 for slug in slugs}
    counts.update({r["category_slug"]: r["draws"] for r in rows})
    return counts


# --- forecasts: stored by ingest (api/ingest/forecasts.py), read here ----------------------


def _slugs(categories: Sequence[str]) -> list[str] | None:
    slugs = list(dict.fromkeys(categories))
    for slug in slugs:
        check_slug("category", slug)
    return slugs or None


_next_rounds_decoder = msgspec.json.Decoder(list[NextRound])


async def next_rounds(db: Db, categories: Sequence[str] = ()) -> list[NextRound]:
    """Each category line's next round (of ``categories``, or every line), most recently drawn
    first: an estimate with intervals and its backtest, or why there is none."""
    # A slug no line has is no line: an empty answer, as for every filter (api/filters.py).
    slugs = _slugs(categories)
    row = await db.fetchrow(query("next_rounds"), slugs)
    if row["method"] is None:
        # Stores ingested before forecasts existed get them at their next ingest (refresh).
        raise ServiceUnavailable(
            "next-round estimates are made at ingest and this store has not been ingested "
            "since they were added; retry after the next refresh",
            retry_after=60,
        )
    return _next_rounds_decoder.decode(row["answers"])


def next_round_rows(lines: Sequence[NextRound]) -> list[NextRoundRow]:
    """``lines`` as rows: one per line and figure."""
    rows = []
    for line in lines:
        for target in ("crs_min", "invitations"):
            made = getattr(line, target)
            score = made.backtest[0] if made is not None else None
            rows.append(
                NextRoundRow(
                    category=line.category,
                    name=line.name,
                    status=line.status,
                    target=target,
                    estimate=made.estimate if made else None,
                    lower_80=made.interval_80.lower if made else None,
                    upper_80=made.interval_80.upper if made else None,
                    lower_95=made.interval_95.lower if made else None,
                    upper_95=made.interval_95.upper if made else None,
                    model=made.model if made else None,
                    rounds=line.rounds,
                    first_round=line.first_round.number,
                    last_round=line.last_round.number,
                    backtest_n=score.n if score else None,
                    mae=score.mae if score else None,
                    naive_mae=score.naive_mae if score else None,
                    coverage_80=score.coverage_80 if score else None,
                    coverage_95=score.coverage_95 if score else None,
                )
            )
    return rows


_backtest_row = row_reader(BacktestRow)


async def forecast_backtest(db: Db, categories: Sequence[str] = ()) -> ForecastBacktest:
    """The rolling-origin evaluation behind ``next_rounds``: every line's scores per figure and
    horizon, and every past prediction."""
    lines = await next_rounds(db, categories)
    scores = [
        BacktestSummary(
            category=line.category, target=target, model=made.model, **msgspec.structs.asdict(s)
        )
        for line in lines
        for target in ("crs_min", "invitations")
        if (made := getattr(line, target)) is not None
        for s in made.backtest
    ]
    rows = await db.fetch(query("backtest_rows"), _slugs(categories))
    return ForecastBacktest(scores=scores, rows=[_backtest_row(r) for r in rows])
