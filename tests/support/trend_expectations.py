"""Expected trend figures, computed in plain Python from parsed IRCC rounds (tests only)."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from tests.support.ircc_rounds import BANDS, FIXTURES, OFFICIAL, Round, snapshots


def rounds_file() -> Path:
    """IRCC's real file when ../shared is there, else the small fixture holding real rounds."""
    return OFFICIAL if OFFICIAL.exists() else FIXTURES / "rounds_2026.json"


def _year_to_date(rounds: list[Round]) -> dict[str, int]:
    return {
        "draws": len(rounds),
        "crs_min": min(r.crs for r in rounds),
        "crs_max": max(r.crs for r in rounds),
        "invitations_min": min(r.invitations for r in rounds),
        "invitations_max": max(r.invitations for r in rounds),
        "invitations_total": sum(r.invitations for r in rounds),
    }


def _snapshot(day: date, dd: tuple[int, ...], source: str) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "total": dd[17],
        "bands": [
            {
                "band": i + 1,
                "crs_lo": lo,
                "crs_hi": hi,
                "candidates": dd[i],
                "is_subtotal": subtotal,
            }
            for i, (lo, hi, subtotal) in enumerate(BANDS)
        ],
    }


def draw_context(rounds: list[Round], number: str) -> dict[str, Any]:
    """What /v1/draws/{number}/context must answer (pool snapshot without source/flags)."""
    me = next(r for r in rounds if r.number == number)
    year = [r for r in rounds if r.date.year == me.date.year and r.order <= me.order]
    line_year = [r for r in year if r.line == me.line]
    before = [r for r in rounds if r.line == me.line and r.order < me.order]
    previous = None
    if before:
        p = before[-1]
        previous = {
            "number": p.number,
            "date": p.date.isoformat(),
            "crs_min": p.crs,
            "invitations": p.invitations,
            "crs_change": me.crs - p.crs,
            "days_between": (me.date - p.date).days,
        }
    snaps = snapshots(rounds)
    snapshot = None
    if me.snapshot_date is not None:
        snapshot = _snapshot(me.snapshot_date, snaps[me.snapshot_date], me.number)
    return {
        "number": me.number,
        "date": me.date.isoformat(),
        "category": me.line,
        "year": me.date.year,
        "year_rank": len(year),
        "category_year_rank": len(line_year),
        "year_to_date": _year_to_date(year),
        "category_year_to_date": _year_to_date(line_year),
        "previous_in_category": previous,
        "pool_snapshot": snapshot,
    }


def _half_up(value: Fraction, places: int = 0) -> Fraction:
    scale = 10**places
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def pool_standing(rounds: list[Round], crs: int) -> dict[str, Any]:
    """/v1/standing's ``pool`` (without ``method``): newest snapshot, leaf bands only."""
    snaps = snapshots(rounds)
    newest = max(snaps)
    dd = snaps[newest]
    above = Fraction(0)
    exact = True
    for i, (lo, hi, subtotal) in enumerate(BANDS):
        if subtotal:
            continue
        if lo >= crs:
            above += dd[i]
        elif hi >= crs:
            above += Fraction(dd[i] * (hi - crs + 1), hi - lo + 1)
            exact = False
    candidates = int(_half_up(above))
    total = dd[17]
    return {
        "date": newest.isoformat(),
        "candidates_at_or_above": candidates,
        "total": total,
        "share": float(_half_up(Fraction(candidates, total), 4)),
        "exact": exact,
    }


def _ref(r: Round) -> dict[str, Any]:
    return {"number": r.number, "date": r.date.isoformat(), "crs_min": r.crs}


def draws_standing(
    rounds: list[Round], crs: int, last: int, lines: set[str] | None = None
) -> list[dict[str, Any]]:
    """/v1/standing's ``draws`` (without each line's display name)."""
    by_line: dict[str, list[Round]] = {}
    for r in reversed(rounds):  # newest first
        if lines is None or r.line in lines:
            by_line.setdefault(r.line, []).append(r)
    ordered = sorted(by_line.items(), key=lambda kv: (-kv[1][0].date.toordinal(), kv[0]))
    answer = []
    for line, newest_first in ordered:
        recent = newest_first[:last]
        met = [r for r in newest_first if r.crs <= crs]
        answer.append(
            {
                "category": line,
                "rounds": len(recent),
                "met": sum(1 for r in recent if r.crs <= crs),
                "latest_round": _ref(newest_first[0]),
                "latest_met": _ref(met[0]) if met else None,
            }
        )
    return answer


# --- series ------------------------------------------------------------------------------

_STEP = {"month": 1, "quarter": 3, "year": 12}
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


def _period_start(day: date, frequency: str) -> date:
    if frequency == "draw":
        return day
    if frequency == "year":
        return date(day.year, 1, 1)
    step = _STEP[frequency]
    return date(day.year, (day.month - 1) // step * step + 1, 1)


def _next_period(start: date, frequency: str) -> date:
    months = start.year * 12 + start.month - 1 + _STEP[frequency]
    return date(months // 12, months % 12 + 1, 1)


def _label(start: date, frequency: str) -> str:
    if frequency == "draw":
        return start.isoformat()
    if frequency == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if frequency == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def _aggregate(rounds: list[Round], measure: str, agg: str) -> Fraction | None:
    if not rounds:
        return None
    values = [Fraction(r.crs if measure == "crs" else r.invitations) for r in rounds]
    return {
        "min": lambda: min(values),
        "max": lambda: max(values),
        "mean": lambda: sum(values, Fraction(0)) / len(values),
        "last": lambda: values[-1],  # rounds are oldest first, 91a before 91b
        "sum": lambda: sum(values, Fraction(0)),
        "count": lambda: Fraction(len(values)),
    }[agg]()


def _transform(
    values: list[Fraction | None], transform: str | None, lag: int, window: int
) -> list[Fraction | None]:
    if transform is None:
        return values
    out: list[Fraction | None] = []
    for i, value in enumerate(values):
        if transform == "rolling_mean":
            present = [v for v in values[max(0, i - window + 1) : i + 1] if v is not None]
            out.append(sum(present, Fraction(0)) / len(present) if present else None)
            continue
        back = 1 if transform in ("change", "pct_change") else lag
        before = values[i - back] if i >= back else None
        if value is None or before is None:
            out.append(None)
        elif transform == "change":
            out.append(value - before)
        else:
            out.append(100 * (value - before) / before if before != 0 else None)
    return out


def series(
    rounds: list[Round],
    measure: str,
    *,
    categories: tuple[str, ...] = (),
    date_from: date | None = None,
    date_to: date | None = None,
    frequency: str = "draw",
    agg: str | None = None,
    transform: str | None = None,
    window: int = 3,
) -> list[dict[str, Any]]:
    """``data`` of /v1/series/{measure}, values as exact fractions (None for no round)."""
    agg = agg or ("min" if measure == "crs" else "sum")
    picked = [
        r
        for r in rounds
        if (not categories or r.line in categories)
        and (date_from is None or r.date >= date_from)
        and (date_to is None or r.date <= date_to)
    ]
    lo = date_from or (picked[0].date if picked else None)
    hi = date_to or (picked[-1].date if picked else None)
    # Periods never reach before the first round held or after the last.
    held = [r.date for r in rounds]
    lo = max(lo, min(held)) if lo is not None and held else None
    hi = min(hi, max(held)) if hi is not None and held else None
    keys: list[str | None] = sorted(set(categories)) if categories else [None]
    answer: list[dict[str, Any]] = []
    for key in keys:
        mine = [r for r in picked if key is None or r.line == key]
        if frequency == "draw":
            starts = sorted({r.date for r in mine})
        elif lo is None or hi is None:
            starts = []
        else:
            starts, start = [], _period_start(lo, frequency)
            while start <= hi:
                starts.append(start)
                start = _next_period(start, frequency)
        groups = [[r for r in mine if _period_start(r.date, frequency) == s] for s in starts]
        values = [_aggregate(g, measure, agg) for g in groups]
        lag = _PER_YEAR.get(frequency, 1)
        # A single round has no same period a year earlier: yoy per round is null throughout.
        no_period = transform == "yoy" and frequency == "draw"
        transformed = (
            [None] * len(values) if no_period else _transform(values, transform, lag, window)
        )
        for start, group, value in zip(starts, groups, transformed, strict=True):
            answer.append(
                {
                    "period": _label(start, frequency),
                    "value": value,
                    "draws": len(group),
                    "category": key,
                }
            )
    return answer
