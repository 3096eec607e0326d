"""The forecasting method's pieces (api/forecasts.py), on series small enough to check by hand."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest

from api.forecasts import (
    MIN_ROUNDS,
    LineRound,
    conformal_radius,
    forecast_line,
    regime_breaks,
    ses_level,
)

START = date(2024, 1, 3)


def series(
    crs: list[int], *, every: int = 14, version: int | None = None, start: date = START
) -> list[LineRound]:
    return [
        LineRound(
            number=str(100 + i),
            date=start + timedelta(days=every * i),
            version=version,
            crs_min=value,
            invitations=1000 + 10 * i,
        )
        for i, value in enumerate(crs)
    ]


def test_conformal_radius_is_the_ceil_n_plus_1_times_level_th_smallest_error() -> None:
    errors = [-3.0, 1.0, 2.0, -4.0, 5.0, 6.0, -7.0, 8.0, 9.0]
    # ceil(10 * 0.8) = 8th smallest absolute error of 9.
    assert conformal_radius(errors, 80) == 8.0
    # 95% of 9: ceil(9.5) = 10 > 9 errors: too few to bound it.
    assert conformal_radius(errors, 95) is None
    assert conformal_radius([float(i) for i in range(19)], 95) == 18.0
    assert conformal_radius([float(i) for i in range(18)], 95) is None
    assert conformal_radius([], 80) is None


def test_simple_exponential_smoothing_by_hand() -> None:
    # Level 10; error 10 moves it halfway, to 15; error 10 (25 - 15) halfway again, to 20.
    assert ses_level([10.0, 20.0, 25.0], 0.5) == (20.0, 100.0 + 100.0)


def test_breaks_are_a_new_version_a_pause_and_the_start_of_category_rounds() -> None:
    rounds = [
        *series([500, 501], version=1),
        *series([502], version=2, start=START + timedelta(days=30)),
        *series([503, 504], version=2, start=START + timedelta(days=300)),
    ]
    reasons = [
        (b.number, b.reason) for b in regime_breaks(rounds, kind="category", categories_began=None)
    ]
    assert reasons == [("100", "first_round"), ("100", "version"), ("100", "pause")]
    program = series([500, 501, 502, 503])
    began = program[2].date - timedelta(days=1)
    found = regime_breaks(program, kind="program", categories_began=began)
    assert [(b.number, b.reason) for b in found] == [("100", "first_round"), ("102", "categories")]
    # A category line is category-based from its first round: no such break.
    assert len(regime_breaks(program, kind="category", categories_began=began)) == 1


def test_one_round_short_of_what_intervals_need_is_insufficient_history() -> None:
    short = forecast_line(
        "cec",
        "CEC",
        "program",
        series([500] * (MIN_ROUNDS - 1)),
        newest=START + timedelta(days=400),
        categories_began=None,
    ).next_round
    assert (short.status, short.rounds, short.crs_min) == (
        "insufficient_history",
        MIN_ROUNDS - 1,
        None,
    )
    assert f"{MIN_ROUNDS - 1} rounds" in short.message
    enough = forecast_line(
        "cec",
        "CEC",
        "program",
        series([500] * MIN_ROUNDS),
        newest=START + timedelta(days=14 * MIN_ROUNDS),
        categories_began=None,
    ).next_round
    assert enough.status == "estimate"
    assert enough.crs_min is not None and enough.crs_min.estimate == 500.0


def test_a_line_idle_for_over_183_days_is_dormant() -> None:
    rounds = series([500] * 30)
    answer = forecast_line(
        "cec",
        "CEC",
        "program",
        rounds,
        newest=rounds[-1].date + timedelta(days=184),
        categories_began=None,
    ).next_round
    assert (answer.status, answer.crs_min) == ("dormant", None)


def test_a_steady_rise_is_picked_up_by_drift_with_no_error() -> None:
    rounds = series([400 + 2 * i for i in range(30)])
    answer = forecast_line(
        "cec", "CEC", "program", rounds, newest=rounds[-1].date, categories_began=None
    ).next_round
    assert answer.crs_min is not None
    assert (answer.crs_min.model, answer.crs_min.estimate) == ("drift", 460.0)
    i80, i95 = answer.crs_min.interval_80, answer.crs_min.interval_95
    assert i95.lower <= i80.lower <= 460.0 <= i80.upper <= i95.upper


def test_a_prediction_depends_only_on_the_rounds_before_it() -> None:
    """Forward only: changing what came after an origin changes nothing predicted from it."""
    base = [500, 510, 495, 520, 505, 530, 515, 500, 540, 525, 510, 535] * 3
    later = [*base[:20], *(v + 60 for v in base[20:])]
    rows = forecast_line(
        "cec",
        "CEC",
        "program",
        series(base),
        newest=START + timedelta(days=600),
        categories_began=None,
    ).rows
    other = forecast_line(
        "cec",
        "CEC",
        "program",
        series(later),
        newest=START + timedelta(days=600),
        categories_began=None,
    ).rows

    def known_by_20(row: object) -> bool:
        return int(row.origin) - 100 < 20  # type: ignore[attr-defined]

    def prediction(row: object) -> tuple[object, ...]:
        fields = ("target", "horizon", "origin", "model", "predicted", "lower_80", "upper_95")
        return tuple(getattr(row, f) for f in fields)

    assert [prediction(r) for r in rows if known_by_20(r)] == [
        prediction(r) for r in other if known_by_20(r)
    ]
    assert [prediction(r) for r in rows] != [prediction(r) for r in other]


def test_the_same_rounds_give_the_same_bytes() -> None:
    rounds = series([500, 510, 495, 520, 505, 530, 515, 500, 540, 525, 510, 535] * 3)

    def encoded() -> bytes:
        made = forecast_line(
            "cec", "CEC", "program", rounds, newest=rounds[-1].date, categories_began=None
        )
        return msgspec.json.encode(made)

    assert encoded() == encoded()


@pytest.mark.parametrize("target", ["crs_min", "invitations"])
def test_backtest_scores_count_their_rows(target: str) -> None:
    rounds = series([500, 510, 495, 520, 505, 530, 515, 500, 540, 525, 510, 535] * 3)
    made = forecast_line(
        "cec", "CEC", "program", rounds, newest=rounds[-1].date, categories_began=None
    )
    forecast = getattr(made.next_round, target)
    for score in forecast.backtest:
        rows = [r for r in made.rows if (r.target, r.horizon) == (target, score.horizon)]
        assert score.n == len(rows) == len(rounds) - 3 - score.horizon + 1
        assert score.intervals_80 >= score.intervals_95
