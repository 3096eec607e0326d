"""GraphQL types of the trend answers (REST /v1/series/*, /v1/draws/{n}/context, /v1/pool/
bands/history, /v1/pool/changes, /v1/standing). Like ``api.graphql.types``, they only describe
the schema, derived from the models (``api.graphql.derive``): values are the read layer's
msgspec structs, read field by field. The enums' values are the read layer's tuples."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from api import models, reads
from api.graphql.derive import (
    choice_enum,
    derive_types,
    object_type,
    rest_value,
)

if TYPE_CHECKING:
    from api.graphql.types import Category, PoolSnapshot


# What each REST value of the series parameters means (the values are the read layer's).
VALUE_DOCS = {
    "draw": "One point per round date",
    "month": "Periods like 2025-12",
    "quarter": "Periods like 2025-Q4",
    "year": "Periods like 2025",
    "min": "The lowest cut-off",
    "max": "The highest cut-off",
    "mean": "The mean cut-off",
    "last": "The cut-off of the period's last round",
    "sum": "Invitations issued",
    "count": "Rounds held",
    "change": "Change from the previous period",
    "pct_change": "Percent change from it",
    "yoy": "Percent change from a year earlier",
    "rolling_mean": "Mean of the last `window` periods",
}


@choice_enum(
    reads.SERIES_FREQUENCIES, description="Periods of a series: REST `frequency`.", docs=VALUE_DOCS
)
class SeriesFrequency(Enum):
    """One member per ``reads.SERIES_FREQUENCIES`` value."""


@choice_enum(
    reads.CRS_AGGS,
    description="How a period's cut-offs are combined: REST `agg` of /v1/series/crs.",
    docs=VALUE_DOCS,
)
class CrsAgg(Enum):
    """One member per ``reads.CRS_AGGS`` value."""


@choice_enum(
    reads.INVITATION_AGGS, description="REST `agg` of /v1/series/invitations.", docs=VALUE_DOCS
)
class InvitationAgg(Enum):
    """One member per ``reads.INVITATION_AGGS`` value."""


@choice_enum(reads.SERIES_TRANSFORMS, description="REST `transform` of a series.", docs=VALUE_DOCS)
class SeriesTransform(Enum):
    """One member per ``reads.SERIES_TRANSFORMS`` value."""


def series_spec(
    draw_filter: reads.DrawFilter,
    frequency: SeriesFrequency,
    agg: Enum,
    transform: SeriesTransform | None,
    window: int | None,
) -> reads.SeriesSpec:
    return reads.SeriesSpec(
        filter=draw_filter,
        frequency=rest_value(frequency),
        agg=rest_value(agg),
        transform=None if transform is None else rest_value(transform),
        window=window,
    )


derive_types(
    models.SeriesPoint, models.SeriesMeta, models.Series, models.YearToDate, models.PreviousRound
)


@object_type(models.DrawContext)
class DrawContext:
    # Declared in api.graphql.types, which needs this type first.
    pool_snapshot: Annotated[PoolSnapshot, strawberry.lazy("api.graphql.types")] | None
    # The round's category as a draw has it: a Category (a CategoryRef, completed on demand).
    category_ref: Annotated[Category, strawberry.lazy("api.graphql.types")]


derive_types(
    models.BandPoint,
    models.BandHistory,
    models.BandChange,
    models.PoolChange,
    models.PoolStanding,
    models.RoundRef,
    models.CategoryStanding,
    models.Standing,
)


__all__ = [
    "CrsAgg",
    "DrawContext",
    "InvitationAgg",
    "SeriesFrequency",
    "SeriesTransform",
    "series_spec",
]
