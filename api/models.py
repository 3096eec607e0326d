"""msgspec structs: the one model of each thing the API serves (REST and GraphQL alike).

A field's description is written here once, as ``Annotated[type, doc("...")]``: REST's OpenAPI
and GraphQL's schema (``api.graphql.derive``) both show it. A model served as rows of a table
(CSV, XLSX, its About sheet, docs/exports.md) says, next to it, how its spreadsheet column looks:
``column(header, width, ...)``; ``api.columns`` derives the table from the model's fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

ColumnType = Literal["text", "int", "float", "bool", "date", "datetime", "list"]


def doc(description: str) -> msgspec.Meta:
    """A field's description (no constraint: encoding and decoding are unchanged)."""
    return msgspec.Meta(description=description)


class ColumnLook(msgspec.Struct, frozen=True):
    """A field's spreadsheet column, beside its ``doc`` (see ``column``)."""

    header: str
    width: int
    number_format: str
    sql: str
    type: ColumnType | None


def column(
    header: str,
    width: int,
    *,
    number_format: str = "",
    sql: str = "",
    type: ColumnType | None = None,
) -> ColumnLook:
    """A field's column in CSV/XLSX: its XLSX ``header`` (units included) and ``width``, an XLSX
    ``number_format`` (default: the type's), the ``sql`` column of ``draws_v`` holding it
    (default: its CSV name) and its ``type`` (default: from the Python type). Metadata only:
    msgspec and the OpenAPI ignore it. A struct-typed field has no column of its own: its
    fields' columns are named ``{field}_{subfield}`` (``category_slug``)."""
    return ColumnLook(header, width, number_format, sql, type)


class CategoryRef(msgspec.Struct, frozen=True, kw_only=True):
    slug: Annotated[
        str,
        doc(
            "stable id of the round's line: a program (`cec`, `pnp`, `fsw`, `fst`), `general` "
            "(all programs), or a category (`healthcare`, `trades`, "
            "`french-language-proficiency`, ...); see `/v1/categories`"
        ),
        column("Category (id)", 24),
    ]
    name: Annotated[str, doc("the line's current display name"), column("Category", 40)]
    version: Annotated[
        int | None,
        doc(
            "the version of the category's eligibility list the round used (`Version 2` gives "
            "`2`); empty for programs and general rounds"
        ),
        column("Category version", 9),
    ]


class Draw(msgspec.Struct, frozen=True, kw_only=True):
    """One round of invitations (REST /v1/draws/{number})."""

    # A field here is a column of draws_v too (api.columns: CSV, XLSX, docs/exports.md).

    number: Annotated[
        str,
        doc(
            "the round's number as IRCC publishes it: `385`, and `91a`/`91b` for the two rounds "
            "of 30 May 2018 (text)"
        ),
        column("Round", 8),
    ]
    date: Annotated[
        dt.date, doc("date of the round (`YYYY-MM-DD`)"), column("Date", 11, sql="draw_date")
    ]
    category: CategoryRef
    name: Annotated[
        str,
        doc("the round's name exactly as IRCC published it"),
        column("Round type (as published)", 48),
    ]
    invitations: Annotated[
        int,
        doc("invitations to apply issued"),
        column("Invitations", 11, number_format="#,##0"),
    ]
    crs_min: Annotated[
        int,
        doc("CRS score of the lowest-ranked candidate invited (the cut-off)"),
        column("Cut-off CRS", 11),
    ]
    programs: Annotated[
        str, doc("the programs that could be invited, as IRCC words it"), column("Programs", 40)
    ]
    run_at: Annotated[
        dt.datetime | None, doc("when IRCC ran the round, UTC"), column("Run at (UTC)", 20)
    ]
    tie_break_at: Annotated[
        dt.datetime | None,
        doc(
            "the tie-breaking rule: among candidates at exactly `crs_min`, those whose profile "
            "was submitted before this instant were invited; UTC; null (an empty cell in CSV/XLSX) "
            "when IRCC gave none"
        ),
        column("Tie-break at (UTC)", 20),
    ]
    pool_snapshot_date: Annotated[
        dt.date | None,
        doc(
            "date of the pool distribution published with the round (`/v1/pool/{date}`); "
            "null (an empty cell) when none"
        ),
        column("Pool snapshot date", 13),
    ]
    flags: Annotated[
        list[str],
        doc(
            "data-quality notes from ingest (e.g. `tie_break_year_inferred`), usually none; "
            "CSV/XLSX join them with `;` in one cell"
        ),
        column("Data notes", 24),
    ]


class DrawPage(msgspec.Struct, frozen=True, kw_only=True):
    data: list[Draw]
    next_cursor: str | None


class CategoryVersion(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a category line, with the names it went by."""

    version: int | None
    names: list[str]
    draws: Annotated[int, doc("Number of rounds under this version")]
    first_draw_date: dt.date
    last_draw_date: dt.date


class Category(msgspec.Struct, frozen=True, kw_only=True):
    """A line of round types: a program or category, with every name IRCC gave it."""

    slug: str
    name: str
    kind: Annotated[str, doc("general, program or category")]
    aliases: list[str]
    versions: list[CategoryVersion]
    draws: int
    invitations: Annotated[int, doc("Invitations over all its rounds")]
    first_draw_date: dt.date | None
    last_draw_date: dt.date | None
    first_draw: Annotated[str | None, doc("Number of its first round")]
    last_draw: Annotated[str | None, doc("Number of its newest round")]


class PoolBand(msgspec.Struct, frozen=True, kw_only=True):
    """One CRS band of a pool snapshot."""

    band: int
    crs_lo: int
    crs_hi: int
    candidates: int
    is_subtotal: Annotated[bool, doc("A sum of the bands below it (dd3, dd9)")]


class PoolBandRow(msgspec.Struct, frozen=True, kw_only=True):
    """One band of one snapshot: the pool's distribution as a long table."""

    date: Annotated[dt.date, doc("date of the pool distribution"), column("Snapshot date", 13)]
    band: Annotated[int, doc("IRCC's order of the band in the published table"), column("Band", 6)]
    crs_lo: Annotated[int, doc("lowest CRS score of the band"), column("CRS from", 9)]
    crs_hi: Annotated[int, doc("highest CRS score of the band"), column("CRS to", 9)]
    candidates: Annotated[
        int, doc("candidates in the band"), column("Candidates", 12, number_format="#,##0")
    ]
    is_subtotal: Annotated[
        bool,
        doc(
            "`true` for a subtotal of the bands below it (IRCC's 451-500 and 401-450): leave "
            "them out when adding up"
        ),
        column("Subtotal", 9),
    ]


class PoolSnapshotSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A pool snapshot without its bands (the list at REST /v1/pool)."""

    date: Annotated[dt.date, doc("date of the pool distribution"), column("Snapshot date", 13)]
    total: Annotated[
        int,
        doc("candidates in the pool that day"),
        column("Candidates in pool", 12, number_format="#,##0"),
    ]
    source_draw: Annotated[
        str, doc("the round the snapshot was published with"), column("Published with round", 10)
    ]
    flags: Annotated[
        list[str],
        doc("data-quality notes from ingest; CSV/XLSX join them with `;` in one cell"),
        column("Data notes", 24),
    ]


class PoolSnapshot(PoolSnapshotSummary, frozen=True, kw_only=True):
    """The CRS distribution of the whole pool on a date (REST /v1/pool)."""

    bands: list[PoolBand]


class YearlyStat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One year (and category line): rounds, invitations, cut-offs."""

    year: int
    category: CategoryRef | None = None
    draws: Annotated[int, doc("Number of rounds")]
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
    """Freshness of the data (REST /v1/status)."""

    data_version: int
    data_changed_at: dt.datetime
    last_ingest: IngestSummary | None
    newest_draw: str | None
    newest_draw_date: dt.date | None
    draws: Annotated[int, doc("Number of rounds")]
    categories: Annotated[int, doc("Number of category lines")]
    pool_snapshots: Annotated[int, doc("Number of pool snapshots served")]


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
    """One period of a series; `value` is null when no round fell in it."""

    period: Annotated[str, doc("2025-12-11 (draw), 2025-12, 2025-Q4, 2025")]
    value: int | float | None
    draws: Annotated[int, doc("Rounds in the period")]
    category: Annotated[str | None, doc("Category slug; null: all rounds")]


class SeriesMeta(msgspec.Struct, frozen=True, kw_only=True):
    """What a series answers, and in what units."""

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
    """A series over time (REST /v1/series/crs, /v1/series/invitations)."""

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


class RoundRef(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    date: dt.date
    crs_min: int


class PreviousRound(RoundRef, frozen=True, kw_only=True):
    """The round before, in the same category line."""

    invitations: int
    crs_change: Annotated[int, doc("This round's cut-off minus that one's")]
    days_between: int


class DrawContext(msgspec.Struct, frozen=True, kw_only=True):
    """A round among the others (REST /v1/draws/{number}/context): the facts an article
    about it states. Ranks order rounds by date, then by number on one date (91a before 91b)."""

    number: str
    date: dt.date
    category: Annotated[str, doc("Category slug")]
    year: int
    year_rank: Annotated[int, doc("Nth round of its calendar year")]
    category_year_rank: Annotated[int, doc("Nth round of its line that year")]
    year_to_date: YearToDate
    category_year_to_date: YearToDate
    previous_in_category: PreviousRound | None
    pool_snapshot: Annotated[PoolSnapshot | None, doc("The pool snapshot published with the round")]


class BandPoint(msgspec.Struct, frozen=True, kw_only=True):
    """A band's count in one snapshot."""

    date: dt.date
    candidates: int
    total: Annotated[int, doc("The whole pool that day")]


class Band(msgspec.Struct, frozen=True, kw_only=True):
    """A CRS band, named by its range."""

    band: int
    name: Annotated[str, doc("Its range, crs_lo-crs_hi: 451-500")]
    crs_lo: int
    crs_hi: int
    is_subtotal: bool


class BandHistory(Band, frozen=True, kw_only=True):
    """One CRS band over every snapshot (REST /v1/pool/bands/history)."""

    data: list[BandPoint]


class BandChange(Band, frozen=True, kw_only=True):
    """One band's change from the snapshot before."""

    candidates: int
    previous_candidates: int
    change: int


class PoolChange(msgspec.Struct, frozen=True, kw_only=True):
    """Each band's change between two consecutive snapshots."""

    date: dt.date
    previous_date: dt.date
    bands: list[BandChange]


class PoolStanding(msgspec.Struct, frozen=True, kw_only=True):
    """The pool at or above a score, from the newest snapshot."""

    date: dt.date
    candidates_at_or_above: int
    total: int
    share: float
    exact: Annotated[bool, doc("False when a band was split by interpolation")]
    method: str


class CategoryStanding(msgspec.Struct, frozen=True, kw_only=True):
    """A category line's recent rounds against a score."""

    category: str
    name: str
    rounds: Annotated[int, doc("Its newest rounds counted (at most `last`)")]
    met: Annotated[int, doc("Of those, rounds with a cut-off at or below it")]
    latest_round: RoundRef
    latest_met: Annotated[
        RoundRef | None, doc("The newest round of the line the score would have met")
    ]


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """Where a CRS score stands (REST /v1/standing)."""

    crs: int
    last: int
    pool: PoolStanding | None
    draws: list[CategoryStanding]
