"""Next-round estimates and the rolling-origin backtest behind them: pure functions, no I/O.

Ingest (``api.ingest.forecasts``) runs ``forecast_line`` for every category line and stores
the answers; requests only read them. The method, in words, is docs/forecasts.md:

- **Rounds used.** A line's rounds since its last *regime break*: its first round, a new
  version of the category's list, a pause of over ``PAUSE_DAYS``, or (for programs and general
  rounds) the start of category-based rounds. Older rounds describe another draw.
- **Models.** Six simple, well-known ones (Hyndman & Athanasopoulos, *Forecasting: Principles
  and Practice*, ch. 5 and 8): the last value, means of the last 3 or 6 or of every round used,
  drift, and simple exponential smoothing (ETS(A,N,N)).
- **Backtest.** Forward only: at each origin the models are refit on the rounds before it and
  scored on the rounds after it (horizons 1..3). The *method* picks, at each origin, the model
  with the lowest mean absolute one-round-ahead error so far, and bounds its prediction with the
  split-conformal quantile of that model's past absolute errors: the backtest scores the method
  itself, selection included, so its figures are out of sample.
- **Deterministic.** Plain float arithmetic in a fixed order, a fixed grid for the smoothing
  weight, ties broken by a fixed order of models: the same rounds give the same bytes.

Plain Python rather than statsforecast or statsmodels: at most a few hundred numbers per line,
models of a line each, and neither library's fit (or its numpy, scipy and pandas, none of which
the API otherwise needs) would be simpler than these formulas; docs/decisions/0017.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from datetime import date

import msgspec

from api.models import (
    BacktestRow,
    BacktestScore,
    Interval,
    NextRound,
    RegimeBreak,
    RoundRef,
    TargetForecast,
)

# Bumped whenever a change below changes any answer: ingest recomputes stored forecasts made
# by another method (docs/forecasts.md).
METHOD = "eedraws-forecast-1"

PAUSE_DAYS = 183
# Rounds a model is fit on at the first origin of the backtest.
MIN_FIT = 3
LEVELS = (80, 95)
# A split-conformal 95% interval needs 19 past errors (the largest of 19 covers a 20th with
# probability 19/20), so an estimate needs MIN_FIT + 19 rounds since the last break.
MIN_ROUNDS = MIN_FIT + 19
HORIZONS = (1, 2, 3)
WINDOW = 6
TARGETS = ("crs_min", "invitations")
_SES_WEIGHTS = tuple(i / 100 for i in range(1, 100))


class LineRound(msgspec.Struct, frozen=True, kw_only=True):
    """A round of a line, as the forecasts need it (date order, then round order)."""

    number: str
    date: date
    version: int | None
    crs_min: int
    invitations: int

    def ref(self) -> RoundRef:
        return RoundRef(number=self.number, date=self.date, crs_min=self.crs_min)


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """A category line and its rounds, oldest first."""

    slug: str
    name: str
    kind: str
    rounds: list[LineRound]


class LineForecast(msgspec.Struct, frozen=True, kw_only=True):
    """What ingest stores for a line: the answer and its backtest's rows."""

    next_round: NextRound
    rows: list[BacktestRow]


# --- models ---------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _naive(y: Sequence[float], h: int) -> float:
    return y[-1]


def _mean_of_last(k: int) -> Callable[[Sequence[float], int], float]:
    def mean_of_last(y: Sequence[float], h: int) -> float:
        return _mean(y[-k:])

    return mean_of_last


def _mean_all(y: Sequence[float], h: int) -> float:
    return _mean(y)


def _drift(y: Sequence[float], h: int) -> float:
    if len(y) < 2:
        return y[-1]
    return y[-1] + h * (y[-1] - y[0]) / (len(y) - 1)


def ses_level(y: Sequence[float], alpha: float) -> tuple[float, float]:
    """Simple exponential smoothing from level ``y[0]``: the last level and the sum of squared
    one-step errors that fits ``alpha``."""
    level, sse = y[0], 0.0
    for value in y[1:]:
        error = value - level
        sse += error * error
        level += alpha * error
    return level, sse


def _ses(y: Sequence[float], h: int) -> float:
    # The weight with the least squared one-step error on a fixed grid: no optimiser, no
    # starting point, so the fit is the same everywhere. Ties keep the smaller weight.
    best_level, best_sse = y[-1], math.inf
    for alpha in _SES_WEIGHTS:
        level, sse = ses_level(y, alpha)
        if sse < best_sse:
            best_level, best_sse = level, sse
    return best_level


class Model(msgspec.Struct, frozen=True):
    name: str
    description: str
    predict: Callable[[Sequence[float], int], float]
    # The same prediction for every horizon (all but drift): fit once per origin.
    flat: bool = True


# In order of simplicity: a tie in the backtest goes to the earlier one.
MODELS = (
    Model("naive", "the last round's value", _naive),
    Model("mean_6", f"the mean of the last {WINDOW} rounds", _mean_of_last(WINDOW)),
    Model("mean_3", "the mean of the last 3 rounds", _mean_of_last(3)),
    Model("mean_all", "the mean of every round used", _mean_all),
    Model("drift", "the last value plus the average change per round so far", _drift, False),
    Model("ses", "simple exponential smoothing (ETS(A,N,N)), weight fit on the rounds", _ses),
)
NAIVE = 0
WINDOW_MEAN = 1


# --- regimes --------------------------------------------------------------------------------


def regime_breaks(
    rounds: Sequence[LineRound], *, kind: str, categories_began: date | None
) -> list[RegimeBreak]:
    """Every round of ``rounds`` (a line's, in order) from which the earlier ones no longer
    describe the draw: its first, a new category version, a pause, the start of category-based
    rounds (``categories_began``) for programs and general rounds."""
    found = [_break(rounds[0], "first_round", "the line's first round")]
    for before, this in itertools.pairwise(rounds):
        days = (this.date - before.date).days
        if this.version != before.version:
            found.append(
                _break(this, "version", f"version {this.version} of the category's list began")
            )
        elif days > PAUSE_DAYS:
            found.append(_break(this, "pause", f"rounds resumed after a pause of {days} days"))
        elif (
            kind != "category"
            and categories_began is not None
            and before.date < categories_began <= this.date
        ):
            found.append(
                _break(
                    this,
                    "categories",
                    f"category-based rounds began on {categories_began.isoformat()}",
                )
            )
    return found


def _break(r: LineRound, reason: str, description: str) -> RegimeBreak:
    return RegimeBreak(number=r.number, date=r.date, reason=reason, description=description)


# --- the backtest ---------------------------------------------------------------------------


def conformal_radius(errors: Sequence[float], level: int) -> float | None:
    """The split-conformal half-width: the ceil((n + 1) * level)-th smallest absolute error of
    ``n`` (None when that exceeds n: too few errors to bound an interval at this level)."""
    rank = math.ceil((len(errors) + 1) * level / 100 - 1e-9)
    if rank > len(errors):
        return None
    return sorted(abs(e) for e in errors)[rank - 1]


class _Prediction(msgspec.Struct, frozen=True):
    model: int
    value: float
    bounds: dict[int, tuple[float, float] | None]


class _Backtest:
    """Every model's prediction at every origin of one series, and what the method made of it.

    ``origin`` is the number of rounds known (rounds 0..origin-1); a prediction for horizon h
    is of round ``origin + h - 1``.
    """

    def __init__(self, y: Sequence[float]) -> None:
        self.y = list(y)
        n = len(self.y)
        self.predicted: dict[tuple[int, int, int], float] = {}
        for origin in range(MIN_FIT, n + 1):
            known = self.y[:origin]
            for m, model in enumerate(MODELS):
                flat = model.predict(known, 1) if model.flat else None
                for h in HORIZONS:
                    if origin + h - 1 <= n:
                        self.predicted[m, origin, h] = (
                            flat if flat is not None else model.predict(known, h)
                        )

    def errors(self, m: int, origin: int, h: int) -> list[float]:
        """Model ``m``'s horizon-``h`` errors on the rounds known at ``origin``."""
        return [
            self.y[past + h - 1] - self.predicted[m, past, h]
            for past in range(MIN_FIT, origin - h + 1)
        ]

    def chosen(self, origin: int) -> int:
        best, best_mae = NAIVE, math.inf
        for m in range(len(MODELS)):
            errors = self.errors(m, origin, 1)
            if errors:
                mae = math.fsum(abs(e) for e in errors) / len(errors)
                if mae < best_mae - 1e-9:
                    best, best_mae = m, mae
        return best

    def method(self, origin: int, h: int) -> _Prediction:
        m = self.chosen(origin)
        value = self.predicted[m, origin, h]
        errors = self.errors(m, origin, h)
        bounds: dict[int, tuple[float, float] | None] = {}
        for level in LEVELS:
            radius = conformal_radius(errors, level)
            bounds[level] = None if radius is None else (max(value - radius, 0.0), value + radius)
        return _Prediction(m, value, bounds)


def _r(value: float, places: int = 1) -> float:
    return round(value + 0.0, places)


def _rmse(errors: Sequence[float]) -> float | None:
    return _r(math.sqrt(math.fsum(e * e for e in errors) / len(errors)), 2) if errors else None


def _mae(errors: Sequence[float]) -> float | None:
    return _r(math.fsum(abs(e) for e in errors) / len(errors), 2) if errors else None


def _score(h: int, rows: Sequence[BacktestRow]) -> BacktestScore:
    mine = [r for r in rows if r.horizon == h]
    errors = [r.actual - r.predicted for r in mine]
    naive = [r.actual - r.naive for r in mine]
    window = [r.actual - r.window_mean for r in mine]
    covered: dict[int, tuple[int, int]] = {}
    for level, lower, upper in ((80, "lower_80", "upper_80"), (95, "lower_95", "upper_95")):
        given = [r for r in mine if getattr(r, lower) is not None]
        held = sum(getattr(r, lower) <= r.actual <= getattr(r, upper) for r in given)
        covered[level] = held, len(given)
    return BacktestScore(
        horizon=h,
        n=len(mine),
        mae=_mae(errors),
        rmse=_rmse(errors),
        naive_mae=_mae(naive),
        naive_rmse=_rmse(naive),
        window_mean_mae=_mae(window),
        window_mean_rmse=_rmse(window),
        covered_80=covered[80][0],
        intervals_80=covered[80][1],
        coverage_80=_r(covered[80][0] / covered[80][1], 4) if covered[80][1] else None,
        covered_95=covered[95][0],
        intervals_95=covered[95][1],
        coverage_95=_r(covered[95][0] / covered[95][1], 4) if covered[95][1] else None,
    )


def _bound(bounds: tuple[float, float] | None, side: int) -> float | None:
    return None if bounds is None else _r(bounds[side])


def _rows(
    slug: str, target: str, rounds: Sequence[LineRound], backtest: _Backtest
) -> list[BacktestRow]:
    rows = []
    for h in HORIZONS:
        for origin in range(MIN_FIT, len(rounds) - h + 1):
            made = backtest.method(origin, h)
            known, predicted = rounds[origin - 1], rounds[origin + h - 1]
            rows.append(
                BacktestRow(
                    category=slug,
                    target=target,
                    horizon=h,
                    origin=known.number,
                    origin_date=known.date,
                    round=predicted.number,
                    date=predicted.date,
                    model=MODELS[made.model].name,
                    predicted=_r(made.value),
                    lower_80=_bound(made.bounds[80], 0),
                    upper_80=_bound(made.bounds[80], 1),
                    lower_95=_bound(made.bounds[95], 0),
                    upper_95=_bound(made.bounds[95], 1),
                    actual=int(backtest.y[origin + h - 1]),
                    naive=_r(backtest.predicted[NAIVE, origin, h]),
                    window_mean=_r(backtest.predicted[WINDOW_MEAN, origin, h]),
                )
            )
    return rows


_UNITS = {"crs_min": "points", "invitations": "invitations"}


def in_words(target: str, score: BacktestScore) -> str:
    """The one-round-ahead backtest as a candidate reads it."""
    units = _UNITS[target]
    return (
        f"In past rounds, 80% intervals held {score.covered_80} of {score.intervals_80} times "
        f"and 95% intervals {score.covered_95} of {score.intervals_95}; the estimate was off by "
        f"{score.mae:,.1f} {units} on average (the last round's value: {score.naive_mae:,.1f})."
    )


def _target(
    slug: str, target: str, rounds: Sequence[LineRound]
) -> tuple[TargetForecast, list[BacktestRow]]:
    backtest = _Backtest([float(getattr(r, target)) for r in rounds])
    rows = _rows(slug, target, rounds, backtest)
    made = backtest.method(len(rounds), 1)
    intervals = []
    for level in LEVELS:
        bounds = made.bounds[level]
        # MIN_ROUNDS guarantees enough past errors for both levels at the last origin.
        assert bounds is not None
        intervals.append(Interval(level=level, lower=_r(bounds[0]), upper=_r(bounds[1])))
    scores = [_score(h, rows) for h in HORIZONS]
    model = MODELS[made.model]
    forecast = TargetForecast(
        estimate=_r(made.value),
        interval_80=intervals[0],
        interval_95=intervals[1],
        model=model.name,
        model_description=model.description,
        backtest=scores,
        in_words=in_words(target, scores[0]),
    )
    return forecast, rows


def forecast_line(
    slug: str,
    name: str,
    kind: str,
    rounds: Sequence[LineRound],
    *,
    newest: date,
    categories_began: date | None,
) -> LineForecast:
    """The next round of a line whose ``rounds`` (oldest first, at least one) are given;
    ``newest``: the date of the store's newest round of any line."""
    breaks = regime_breaks(rounds, kind=kind, categories_began=categories_began)
    start = next(i for i, r in enumerate(rounds) if r.number == breaks[-1].number)
    used = rounds[start:]
    idle = (newest - used[-1].date).days
    crs = invitations = None
    rows: list[BacktestRow] = []
    if idle > PAUSE_DAYS:
        status = "dormant"
        message = (
            f"No {name} round for {idle} days (since {used[-1].date.isoformat()}): a next "
            "round, if there is one, starts a new regime, so there is nothing to estimate it from."
        )
    elif len(used) < MIN_ROUNDS:
        status = "insufficient_history"
        message = (
            f"Insufficient history: {len(used)} round{'' if len(used) == 1 else 's'} since "
            f"{breaks[-1].description} ({used[0].date.isoformat()}); an estimate with honest "
            f"intervals needs {MIN_ROUNDS}."
        )
    else:
        status = "estimate"
        crs, crs_rows = _target(slug, "crs_min", used)
        invitations, invitation_rows = _target(slug, "invitations", used)
        rows = crs_rows + invitation_rows
        message = (
            f"An estimate from the {len(used)} {name} rounds since {breaks[-1].description} "
            f"({used[0].date.isoformat()}). It cannot know policy changes or when the next round "
            "will be held."
        )
    answer = NextRound(
        category=slug,
        name=name,
        status=status,
        message=message,
        rounds=len(used),
        rounds_needed=MIN_ROUNDS,
        first_round=used[0].ref(),
        last_round=used[-1].ref(),
        regime_breaks=breaks,
        crs_min=crs,
        invitations=invitations,
    )
    return LineForecast(next_round=answer, rows=rows)


def forecast_lines(lines: Sequence[Line]) -> list[LineForecast]:
    """Every line's forecast: the store's newest round and the start of category-based rounds
    (the first round of any category line) are read from ``lines`` themselves."""
    present = [line for line in lines if line.rounds]
    if not present:
        return []
    newest = max(line.rounds[-1].date for line in present)
    began = min((line.rounds[0].date for line in present if line.kind == "category"), default=None)
    return [
        forecast_line(
            line.slug, line.name, line.kind, line.rounds, newest=newest, categories_began=began
        )
        for line in present
    ]
