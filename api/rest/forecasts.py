"""/v1/forecasts: each category line's next round, estimated, and the backtest behind it.

Both answers are stored by ingest (api/ingest/forecasts.py); a handler is one read. JSON, CSV
and XLSX through the same ``Listing`` as every other table (api/rest/formats.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.handlers import HTTPRouteHandler

from api import reads
from api.columns import BACKTEST, NEXT_ROUNDS
from api.models import ForecastBacktest, NextRound
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import CategorySlugs, Database

_NEXT = (
    "Per category line (`category`, repeatable; none: every line), most recently drawn first: "
    "the estimated cut-off CRS (`crs_min`) and invitations of its next round, with 80% and 95% "
    "intervals, the model the backtest picked, the rounds it rests on (those since the line's "
    "last regime break: a new version of the category, a pause of over 183 days, the start of "
    "category-based rounds) and the backtest's scores. A line with too few rounds since its "
    "last break is `insufficient_history`, one with no round for 183 days `dormant`: no "
    "estimate is guessed for them. Computed at ingest; see docs/forecasts.md. The files have "
    "a row per line and figure."
)
_BACKTEST = (
    "The rolling-origin evaluation behind `/v1/forecasts/next`: forward only, each prediction "
    "made with only the rounds before it (the model picked and refit then), scored on the round "
    "it predicted, 1 to 3 rounds ahead. `scores`: per line, figure and horizon, n, MAE and RMSE "
    "of the method, of the naive (last value) and window-mean (last 6 rounds) baselines, and "
    "how often the 80% and 95% intervals held. `rows`: every prediction and its outcome (the "
    "files' rows). Lines without an estimate have none."
)


async def next_round(
    request: Request[Any, Any, Any], db: Database, output: Output, category: CategorySlugs = None
) -> Response[Any]:
    lines = await reads.next_rounds(db, category or ())
    listing = Listing(
        table=NEXT_ROUNDS,
        rows=reads.next_round_rows(lines),
        json=lines,
        name_parts=tuple(category or ()),
    )
    return await respond(request, db, output, listing)


async def backtest(
    request: Request[Any, Any, Any], db: Database, output: Output, category: CategorySlugs = None
) -> Response[Any]:
    found = await reads.forecast_backtest(db, category or ())
    listing = Listing(table=BACKTEST, rows=found.rows, json=found, name_parts=tuple(category or ()))
    return await respond(request, db, output, listing)


FORECAST_ROUTES: list[HTTPRouteHandler] = [
    *tabular_routes(
        "/v1/forecasts/next",
        next_round,
        operation_id="getNextRound",
        json_model=list[NextRound],
        summary="Each category line's next round: estimated cut-off and invitations, intervals "
        "and the backtest behind them",
        file_operation="getNextRound",
        file_summary="Next-round estimates",
        description=_NEXT,
    ),
    *tabular_routes(
        "/v1/forecasts/backtest",
        backtest,
        operation_id="getForecastBacktest",
        json_model=ForecastBacktest,
        summary="The rolling-origin backtest of the next-round estimates: scores and every "
        "past prediction",
        file_operation="getForecastBacktest",
        file_summary="The backtest's predictions",
        description=_BACKTEST,
    ),
]
