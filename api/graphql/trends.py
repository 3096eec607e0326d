"""GraphQL types of the trend answers (REST /v1/series/*, /v1/draws/{n}/context, /v1/pool/
bands/history, /v1/pool/changes, /v1/standing). Like ``api.graphql.types``, they only describe
the schema: values are the read layer's msgspec structs, read field by field."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from api import reads

if TYPE_CHECKING:
    from api.graphql.types import PoolSnapshot


@strawberry.enum(description="Periods of a series: REST `frequency`.")
class SeriesFrequency(Enum):
    DRAW = strawberry.enum_value("draw", description="One point per round date")
    MONTH = strawberry.enum_value("month", description="Periods like 2025-12")
    QUARTER = strawberry.enum_value("quarter", description="Periods like 2025-Q4")
    YEAR = strawberry.enum_value("year", description="Periods like 2025")


@strawberry.enum(description="How a period's cut-offs are combined: REST `agg` of /v1/series/crs.")
class CrsAgg(Enum):
    MIN = strawberry.enum_value("min", description="The lowest cut-off")
    MAX = strawberry.enum_value("max", description="The highest cut-off")
    MEAN = strawberry.enum_value("mean", description="The mean cut-off")
    LAST = strawberry.enum_value("last", description="The cut-off of the period's last round")


@strawberry.enum(description="REST `agg` of /v1/series/invitations.")
class InvitationAgg(Enum):
    SUM = strawberry.enum_value("sum", description="Invitations issued")
    COUNT = strawberry.enum_value("count", description="Rounds held")


@strawberry.enum(description="REST `transform` of a series.")
class SeriesTransform(Enum):
    CHANGE = strawberry.enum_value("change", description="Change from the previous period")
    PCT_CHANGE = strawberry.enum_value("pct_change", description="Percent change from it")
    YOY = strawberry.enum_value("yoy", description="Percent change from a year earlier")
    ROLLING_MEAN = strawberry.enum_value(
        "rolling_mean", description="Mean of the last `window` periods"
    )


def series_spec(
    draw_filter: reads.DrawFilter,
    frequency: SeriesFrequency,
    agg: CrsAgg | InvitationAgg,
    transform: SeriesTransform | None,
    window: int | None,
) -> reads.SeriesSpec:
    # Each enum's value is REST's spelling (typed as strawberry's wrapper, hence str()).
    return reads.SeriesSpec(
        filter=draw_filter,
        frequency=str(frequency.value),
        agg=str(agg.value),
        transform=None if transform is None else str(transform.value),
        window=window,
    )


@strawberry.type(description="One period of a series; `value` is null when no round fell in it.")
class SeriesPoint:
    period: str = strawberry.field(description="2025-12-11 (draw), 2025-12, 2025-Q4, 2025")
    value: float | None
    draws: int = strawberry.field(description="Rounds in the period")
    category: str | None = strawberry.field(description="Category slug; null: all rounds")


@strawberry.type(description="What a series answers, and in what units.")
class SeriesMeta:
    measure: str
    categories: list[str] | None
    date_from: dt.date | None = strawberry.field(name="from")
    date_to: dt.date | None = strawberry.field(name="to")
    frequency: str
    agg: str
    transform: str | None
    window: int | None
    units: str
    description: str


@strawberry.type(description="A series over time (REST /v1/series/crs, /v1/series/invitations).")
class Series:
    data: list[SeriesPoint]
    meta: SeriesMeta


@strawberry.type(description="Rounds of the year up to and including one round.")
class YearToDate:
    draws: int
    crs_min: int
    crs_max: int
    invitations_min: int
    invitations_max: int
    invitations_total: int


@strawberry.type(description="The round before, in the same category line.")
class PreviousRound:
    number: str
    date: dt.date
    crs_min: int
    invitations: int
    crs_change: int = strawberry.field(description="This round's cut-off minus that one's")
    days_between: int


@strawberry.type(
    description="A round among the others (REST /v1/draws/{number}/context). Ranks order "
    "rounds by date, then by number on one date (91a before 91b)."
)
class DrawContext:
    number: str
    date: dt.date
    category: str = strawberry.field(description="Category slug")
    year: int
    year_rank: int = strawberry.field(description="Nth round of its calendar year")
    category_year_rank: int = strawberry.field(description="Nth round of its line that year")
    year_to_date: YearToDate
    category_year_to_date: YearToDate
    previous_in_category: PreviousRound | None
    pool_snapshot: Annotated[PoolSnapshot, strawberry.lazy("api.graphql.types")] | None = (
        strawberry.field(description="The pool snapshot published with the round")
    )


@strawberry.type(description="A band's count in one snapshot.")
class BandPoint:
    date: dt.date
    candidates: int
    total: int = strawberry.field(description="The whole pool that day")


@strawberry.type(description="One CRS band over every snapshot (REST /v1/pool/bands/history).")
class BandHistory:
    band: int
    name: str = strawberry.field(description="Its range, crs_lo-crs_hi: 451-500")
    crs_lo: int
    crs_hi: int
    is_subtotal: bool
    data: list[BandPoint]


@strawberry.type(description="One band's change from the snapshot before.")
class BandChange:
    band: int
    name: str
    crs_lo: int
    crs_hi: int
    is_subtotal: bool
    candidates: int
    previous_candidates: int
    change: int


@strawberry.type(description="Each band's change between two consecutive snapshots.")
class PoolChange:
    date: dt.date
    previous_date: dt.date
    bands: list[BandChange]


@strawberry.type(description="The pool at or above a score, from the newest snapshot.")
class PoolStanding:
    date: dt.date
    candidates_at_or_above: int
    total: int
    share: float
    exact: bool = strawberry.field(description="False when a band was split by interpolation")
    method: str


@strawberry.type
class RoundRef:
    number: str
    date: dt.date
    crs_min: int


@strawberry.type(description="A category line's recent rounds against a score.")
class CategoryStanding:
    category: str
    name: str
    rounds: int = strawberry.field(description="Its newest rounds counted (at most `last`)")
    met: int = strawberry.field(description="Of those, rounds with a cut-off at or below it")
    latest_round: RoundRef
    latest_met: RoundRef | None = strawberry.field(
        description="The newest round of the line the score would have met"
    )


@strawberry.type(description="Where a CRS score stands (REST /v1/standing).")
class Standing:
    crs: int
    last: int
    pool: PoolStanding | None
    draws: list[CategoryStanding]


__all__ = [
    "BandHistory",
    "CrsAgg",
    "DrawContext",
    "InvitationAgg",
    "PoolChange",
    "Series",
    "SeriesFrequency",
    "SeriesTransform",
    "Standing",
    "series_spec",
]
