"""A round's published history, whatever order copies of IRCC's file are ingested in.

IRCC's file is cumulative, so a copy's *vintage* is its newest round (the sort key ``seq``).
Each round's published values form a history of points ``(vintage first seen, values)``; the
revisions served are the steps between consecutive points. A copy newer than (or as new as)
what the store holds is an edit at the end of that history. An older copy, ingested later, is
placed where its vintage falls: it never replaces the current values, and a difference it shows
is recorded as the revision IRCC made after it, exactly as if it had been ingested first.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import msgspec

Values = dict[str, str]


class Point(msgspec.Struct, frozen=True):
    vintage: int
    values: Values


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """One revision: the published keys that changed from one point to the next."""

    old_values: dict[str, str | None]
    new_values: dict[str, str | None]
    old_vintage: int
    new_vintage: int


class Current(msgspec.Struct, frozen=True, kw_only=True):
    """What the store holds for a round: its current values and the vintages that showed them."""

    values: Values
    since: int  # the oldest vintage showing these values since they last changed
    latest: int  # the newest vintage showing them


def diff(old: Values, new: Values) -> tuple[dict[str, str | None], dict[str, str | None]]:
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


def history(current: Current, steps: Sequence[Step]) -> list[Point]:
    """The points behind ``current`` and its revisions (oldest first), rebuilt from the diffs."""
    values = dict(current.values)
    points = [Point(current.since, values)]
    for step in reversed(steps):
        values = dict(values)
        for key, old in step.old_values.items():
            if old is None:
                values.pop(key, None)
            else:
                values[key] = old
        points.append(Point(step.old_vintage, values))
    points.reverse()
    if current.latest > current.since:
        # The newest copy confirmed the current values; an older copy cannot come after it.
        points.append(Point(current.latest, dict(current.values)))
    return points


def place(points: Sequence[Point], vintage: int, values: Values) -> list[Point] | None:
    """``points`` with an observation from an older copy placed at its vintage.

    None when the observation only confirms what the history already says.
    """
    before = [i for i, p in enumerate(points) if p.vintage <= vintage]
    at = before[-1] if before else -1
    if at >= 0 and points[at].values == values:
        return None
    placed = [*points[: at + 1], Point(vintage, values), *points[at + 1 :]]
    return _collapsed(placed)


def _collapsed(points: Sequence[Point]) -> list[Point]:
    # Equal neighbours are one point, first seen at the older vintage.
    kept: list[Point] = []
    for point in points:
        if kept and kept[-1].values == point.values:
            continue
        kept.append(point)
    return kept


def steps(points: Sequence[Point]) -> list[Step]:
    found: list[Step] = []
    for old, new in itertools.pairwise(points):
        old_values, new_values = diff(old.values, new.values)
        found.append(
            Step(
                old_values=old_values,
                new_values=new_values,
                old_vintage=old.vintage,
                new_vintage=new.vintage,
            )
        )
    return found
