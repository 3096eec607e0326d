"""msgspec structs: the one model of each thing the API serves (REST and GraphQL alike)."""

from __future__ import annotations

import datetime as dt

import msgspec


class CategoryRef(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    version: int | None


class Draw(msgspec.Struct, frozen=True, kw_only=True):
    """One round of invitations."""

    number: str
    date: dt.date
    category: CategoryRef
    name: str
    invitations: int
    crs_min: int
    programs: str
    run_at: dt.datetime | None
    tie_break_at: dt.datetime | None
    pool_snapshot_date: dt.date | None
    flags: list[str]


class DrawPage(msgspec.Struct, frozen=True, kw_only=True):
    data: list[Draw]
    next_cursor: str | None


class CategoryVersion(msgspec.Struct, frozen=True, kw_only=True):
    version: int | None
    names: list[str]
    draws: int
    first_draw_date: dt.date
    last_draw_date: dt.date


class Category(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    kind: str
    aliases: list[str]
    versions: list[CategoryVersion]
    draws: int
    invitations: int
    first_draw_date: dt.date | None
    last_draw_date: dt.date | None
    first_draw: str | None
    last_draw: str | None


class PoolBand(msgspec.Struct, frozen=True, kw_only=True):
    band: int
    crs_lo: int
    crs_hi: int
    candidates: int
    is_subtotal: bool


class PoolBandRow(msgspec.Struct, frozen=True, kw_only=True):
    """One band of one snapshot: the pool's distribution as a long table."""

    date: dt.date
    band: int
    crs_lo: int
    crs_hi: int
    candidates: int
    is_subtotal: bool


class PoolSnapshotSummary(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    total: int
    source_draw: str
    flags: list[str]


class PoolSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    total: int
    source_draw: str
    flags: list[str]
    bands: list[PoolBand]


class YearlyStat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    year: int
    category: CategoryRef | None = None
    draws: int
    invitations: int
    crs_min: int
    crs_max: int
    crs_mean: float


class IngestSummary(msgspec.Struct, frozen=True, kw_only=True):
    finished_at: dt.datetime
    source: str
    sha256: str
    rounds_in_file: int
    rounds_new: int
    rounds_changed: int
    changed_data: bool


class Status(msgspec.Struct, frozen=True, kw_only=True):
    data_version: int
    data_changed_at: dt.datetime
    last_ingest: IngestSummary | None
    newest_draw: str | None
    newest_draw_date: dt.date | None
    draws: int
    categories: int
    pool_snapshots: int


class RevisionChange(msgspec.Struct, frozen=True, kw_only=True):
    """One published value that changed: the API's field, IRCC's key, old and new text."""

    field: str | None
    ircc_key: str
    old: str | None
    new: str | None


class DrawRevision(msgspec.Struct, frozen=True, kw_only=True):
    draw_number: str
    ingested_at: dt.datetime
    # By the API's field names (``field`` None for a key the API does not serve).
    changes: list[RevisionChange]
    # As IRCC published them, by IRCC's keys.
    old_values: dict[str, str | None]
    new_values: dict[str, str | None]


class DataStamp(msgspec.Struct, frozen=True, kw_only=True):
    """What a file export says about its data: version, when it changed, newest round, source."""

    data_version: int
    data_changed_at: dt.datetime
    newest_draw_date: dt.date | None
    source: str | None


# --- trends: series, a round's context, pool history, standing -----------------------------


class SeriesPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One period of a series. ``value`` is null when no round fell in the period."""

    period: str
    value: int | float | None
    draws: int
    category: str | None


class SeriesMeta(msgspec.Struct, frozen=True, kw_only=True):
    measure: str
    categories: list[str] | None
    date_from: dt.date | None = msgspec.field(name="from")
    date_to: dt.date | None = msgspec.field(name="to")
    frequency: str
    agg: str
    transform: str | None
    window: int | None
    units: str
    description: str


class Series(msgspec.Struct, frozen=True, kw_only=True):
    data: list[SeriesPoint]
    meta: SeriesMeta


class YearToDate(msgspec.Struct, frozen=True, kw_only=True):
    """Rounds of the year up to and including one round."""

    draws: int
    crs_min: int
    crs_max: int
    invitations_min: int
    invitations_max: int
    invitations_total: int


class PreviousRound(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    date: dt.date
    crs_min: int
    invitations: int
    crs_change: int
    days_between: int


class DrawContext(msgspec.Struct, frozen=True, kw_only=True):
    """A round among the others: the facts an article about it states."""

    number: str
    date: dt.date
    category: str
    year: int
    year_rank: int
    category_year_rank: int
    year_to_date: YearToDate
    category_year_to_date: YearToDate
    previous_in_category: PreviousRound | None
    pool_snapshot: PoolSnapshot | None


class BandPoint(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    candidates: int
    total: int


class BandHistory(msgspec.Struct, frozen=True, kw_only=True):
    band: int
    name: str
    crs_lo: int
    crs_hi: int
    is_subtotal: bool
    data: list[BandPoint]


class BandChange(msgspec.Struct, frozen=True, kw_only=True):
    band: int
    name: str
    crs_lo: int
    crs_hi: int
    is_subtotal: bool
    candidates: int
    previous_candidates: int
    change: int


class PoolChange(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    previous_date: dt.date
    bands: list[BandChange]


class PoolStanding(msgspec.Struct, frozen=True, kw_only=True):
    date: dt.date
    candidates_at_or_above: int
    total: int
    share: float
    exact: bool
    method: str


class RoundRef(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    date: dt.date
    crs_min: int


class CategoryStanding(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    name: str
    rounds: int
    met: int
    latest_round: RoundRef
    latest_met: RoundRef | None


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    crs: int
    last: int
    pool: PoolStanding | None
    draws: list[CategoryStanding]
