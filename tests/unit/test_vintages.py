"""Placing an older copy's values in a round's history (api/ingest/vintages.py)."""

from api.ingest.vintages import Current, Point, Step, history, place, steps

OLD = {"drawName": "French language proficiency (2024-1)", "drawCRS": "388"}
NEW = {"drawName": "French language proficiency (Version 1)", "drawCRS": "388"}


def test_an_older_copy_that_differs_becomes_the_first_point() -> None:
    points = history(Current(values=NEW, since=41100, latest=41100), [])
    placed = place(points, 29100, OLD)
    assert placed == [Point(29100, OLD), Point(41100, NEW)]
    assert steps(placed or []) == [
        Step(
            old_values={"drawName": OLD["drawName"]},
            new_values={"drawName": NEW["drawName"]},
            old_vintage=29100,
            new_vintage=41100,
        )
    ]


def test_an_older_copy_that_agrees_with_the_history_changes_nothing() -> None:
    revised = [
        Step(
            old_values={"drawName": OLD["drawName"]},
            new_values={"drawName": NEW["drawName"]},
            old_vintage=29100,
            new_vintage=41100,
        )
    ]
    points = history(Current(values=NEW, since=41100, latest=41100), revised)
    assert points[0] == Point(29100, OLD)
    assert place(points, 30000, OLD) is None


def test_values_that_came_back_later_are_two_steps() -> None:
    # Seen in 2024 and 2026 with NEW, in between with OLD: IRCC changed it and changed it back.
    points = history(Current(values=NEW, since=29100, latest=41100), [])
    placed = place(points, 35000, OLD)
    assert placed == [Point(29100, NEW), Point(35000, OLD), Point(41100, NEW)]
    assert len(steps(placed or [])) == 2


def test_a_key_added_later_is_removed_going_back_in_history() -> None:
    added = {**NEW, "drawNote": "x"}
    revised = [
        Step(
            old_values={"drawNote": None},
            new_values={"drawNote": "x"},
            old_vintage=1,
            new_vintage=2,
        )
    ]
    points = history(Current(values=added, since=2, latest=2), revised)
    assert points == [Point(1, NEW), Point(2, added)]
