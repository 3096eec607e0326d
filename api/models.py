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
    # /v1 never retypes a field, so `category` stays the slug; the object a draw has is added
    # beside it (docs/trends.md).
    category_ref: Annotated[
        CategoryRef,
        doc(
            "The round's category as `/v1/draws/{number}` gives it (`slug`, `name`, `version`); "
            "`category` is its slug, kept as it was"
        ),
    ]
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


# --- forecasts: the next round's estimate and the backtest behind it (docs/forecasts.md) ----


class RegimeBreak(msgspec.Struct, frozen=True, kw_only=True):
    """A round from which a line's earlier rounds no longer describe it."""

    number: Annotated[str, doc("The first round after the break")]
    date: dt.date
    reason: Annotated[
        str,
        doc(
            "`first_round`, `version` (a new version of the category's eligibility list), "
            "`pause` (no round of the line for over 183 days before it), or `categories` "
            "(category-based rounds began: a program's or general rounds' pool changed)"
        ),
    ]
    description: Annotated[str, doc("The break in words")]


class Interval(msgspec.Struct, frozen=True, kw_only=True):
    """A prediction interval: the range the outcome fell in at least `level` percent of the
    time, judged from past out-of-sample errors (split conformal)."""

    level: Annotated[int, doc("80 or 95 (percent)")]
    lower: float
    upper: float


class BacktestScore(msgspec.Struct, frozen=True, kw_only=True):
    """How the method did on past rounds, for one horizon: each prediction made with only the
    rounds before it, scored on the round it predicted."""

    horizon: Annotated[int, doc("1: the next round; 2: the round after it; ...")]
    n: Annotated[int, doc("Predictions scored")]
    mae: Annotated[float | None, doc("Mean absolute error of the method's predictions")]
    rmse: Annotated[float | None, doc("Root mean squared error of them")]
    naive_mae: Annotated[float | None, doc("MAE of the naive baseline (the last value)")]
    naive_rmse: float | None
    window_mean_mae: Annotated[
        float | None, doc("MAE of the window-mean baseline (mean of the last 6 rounds)")
    ]
    window_mean_rmse: float | None
    covered_80: Annotated[int, doc("Outcomes inside their 80% interval")]
    intervals_80: Annotated[
        int, doc("80% intervals given (early origins have too few past errors to bound one)")
    ]
    coverage_80: Annotated[
        float | None, doc("covered_80 / intervals_80: should be near 0.80; null when none")
    ]
    covered_95: int
    intervals_95: int
    coverage_95: Annotated[float | None, doc("covered_95 / intervals_95: should be near 0.95")]


class TargetForecast(msgspec.Struct, frozen=True, kw_only=True):
    """The next round's estimate of one figure (cut-off CRS or invitations)."""

    estimate: Annotated[float, doc("The point estimate (1 decimal)")]
    interval_80: Interval
    interval_95: Interval
    model: Annotated[
        str,
        doc(
            "The model the backtest picked: `naive`, `mean_3`, `mean_6`, `mean_all`, `drift` or "
            "`ses` (docs/forecasts.md)"
        ),
    ]
    model_description: str
    backtest: Annotated[list[BacktestScore], doc("The backtest, per horizon")]
    in_words: Annotated[str, doc("The backtest as a candidate reads it")]


class NextRound(msgspec.Struct, frozen=True, kw_only=True):
    """A category line's next round, estimated from its own past rounds (REST
    /v1/forecasts/next): an estimate, 80% and 95% intervals, and the evidence beside them."""

    category: Annotated[str, doc("Category slug")]
    name: Annotated[str, doc("The line's display name")]
    status: Annotated[
        str,
        doc(
            "`estimate`; `insufficient_history` (fewer rounds since the last regime break than "
            "`rounds_needed`); `dormant` (no round of the line for over 183 days: a next round, "
            "if any, starts a new regime)"
        ),
    ]
    message: Annotated[str, doc("The status in words")]
    rounds: Annotated[int, doc("Rounds since the last regime break: what the model rests on")]
    rounds_needed: Annotated[int, doc("Rounds an estimate needs")]
    first_round: Annotated[RoundRef, doc("The first round the model uses")]
    last_round: Annotated[RoundRef, doc("The last round the model uses: the line's newest")]
    regime_breaks: Annotated[
        list[RegimeBreak],
        doc("Every break in the line, oldest first; the last one starts the rounds used"),
    ]
    crs_min: Annotated[TargetForecast | None, doc("The cut-off CRS; null unless `estimate`")]
    invitations: Annotated[TargetForecast | None, doc("Invitations; null unless `estimate`")]


class BacktestRow(msgspec.Struct, frozen=True, kw_only=True):
    """One past prediction: made after round `origin` with only the rounds up to it."""

    category: Annotated[str, doc("Category slug"), column("Category (id)", 24)]
    target: Annotated[
        str, doc("`crs_min` (cut-off CRS) or `invitations`"), column("Figure predicted", 12)
    ]
    horizon: Annotated[int, doc("Rounds ahead: 1 is the next round"), column("Horizon", 8)]
    origin: Annotated[
        str, doc("The last round known when predicting"), column("Predicted after round", 10)
    ]
    origin_date: Annotated[dt.date, doc("Its date"), column("Predicted on", 11)]
    round: Annotated[str, doc("The round predicted"), column("Round", 8)]
    date: Annotated[dt.date, doc("Its date"), column("Date", 11)]
    model: Annotated[
        str, doc("The model the method picked with what it knew then"), column("Model", 10)
    ]
    predicted: Annotated[float, doc("The method's prediction"), column("Predicted", 10)]
    lower_80: Annotated[
        float | None,
        doc("80% interval's lower bound; empty when too few past errors bound it"),
        column("80% from", 9),
    ]
    upper_80: Annotated[float | None, doc("80% interval's upper bound"), column("80% to", 9)]
    lower_95: Annotated[float | None, doc("95% interval's lower bound"), column("95% from", 9)]
    upper_95: Annotated[float | None, doc("95% interval's upper bound"), column("95% to", 9)]
    actual: Annotated[int, doc("What the round turned out to be"), column("Actual", 10)]
    naive: Annotated[
        float, doc("The naive baseline's prediction (the last value)"), column("Naive", 10)
    ]
    window_mean: Annotated[
        float,
        doc("The window-mean baseline's prediction (mean of the last 6 rounds)"),
        column("Window mean", 10),
    ]


class BacktestSummary(BacktestScore, frozen=True, kw_only=True):
    """A line's backtest for one figure and horizon."""

    category: Annotated[str, doc("Category slug")]
    target: Annotated[str, doc("`crs_min` or `invitations`")]
    model: Annotated[str, doc("The model picked for the next round")]


class ForecastBacktest(msgspec.Struct, frozen=True, kw_only=True):
    """The rolling-origin evaluation behind /v1/forecasts/next (REST /v1/forecasts/backtest)."""

    scores: list[BacktestSummary]
    rows: list[BacktestRow]


class NextRoundRow(msgspec.Struct, frozen=True, kw_only=True):
    """One line's estimate of one figure: /v1/forecasts/next as rows (CSV, XLSX)."""

    category: Annotated[str, doc("Category slug"), column("Category (id)", 24)]
    name: Annotated[str, doc("The line's display name"), column("Category", 40)]
    status: Annotated[
        str,
        doc("`estimate`, `insufficient_history` or `dormant` (see the JSON's `message`)"),
        column("Status", 14),
    ]
    target: Annotated[str, doc("`crs_min` (cut-off CRS) or `invitations`"), column("Figure", 12)]
    estimate: Annotated[
        float | None,
        doc("The next round's estimate; empty unless `estimate`"),
        column("Estimate", 10),
    ]
    lower_80: Annotated[float | None, doc("80% interval, lower bound"), column("80% from", 9)]
    upper_80: Annotated[float | None, doc("80% interval, upper bound"), column("80% to", 9)]
    lower_95: Annotated[float | None, doc("95% interval, lower bound"), column("95% from", 9)]
    upper_95: Annotated[float | None, doc("95% interval, upper bound"), column("95% to", 9)]
    model: Annotated[str | None, doc("The model the backtest picked"), column("Model", 10)]
    rounds: Annotated[
        int, doc("Rounds since the last regime break, the ones used"), column("Rounds used", 8)
    ]
    first_round: Annotated[str, doc("The first round used"), column("From round", 9)]
    last_round: Annotated[str, doc("The last round used"), column("To round", 9)]
    backtest_n: Annotated[
        int | None, doc("One-round-ahead predictions the backtest scored"), column("Backtest n", 9)
    ]
    mae: Annotated[float | None, doc("Their mean absolute error"), column("MAE", 9)]
    naive_mae: Annotated[
        float | None, doc("MAE of the last round's value as the prediction"), column("Naive MAE", 9)
    ]
    coverage_80: Annotated[
        float | None, doc("Share of outcomes inside their 80% interval"), column("80% held", 8)
    ]
    coverage_95: Annotated[
        float | None, doc("Share of outcomes inside their 95% interval"), column("95% held", 8)
    ]
