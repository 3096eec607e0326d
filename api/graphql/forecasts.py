"""GraphQL types of the forecasts (REST /v1/forecasts/next, /v1/forecasts/backtest), derived
from the models like the trends' (``RoundRef`` is derived there, so that module comes first)."""

from __future__ import annotations

import api.graphql.trends  # noqa: F401 (derives RoundRef, which NextRound holds)
from api import models
from api.graphql.derive import derive_types

derive_types(
    models.RegimeBreak,
    models.Interval,
    models.BacktestScore,
    models.TargetForecast,
    models.NextRound,
    models.BacktestRow,
    models.BacktestSummary,
    models.ForecastBacktest,
)
