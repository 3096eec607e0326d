"""A table of columns derived from a model: each field's doc() and column() make its column,
and the same names read the struct back from a database row."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
import pytest

from api.columns import DRAWS, draw_of_row, row_reader, table_of
from api.models import Draw, column, doc


class Place(msgspec.Struct, frozen=True, kw_only=True):
    code: Annotated[str, doc("its code"), column("Code", 6)]
    since: Annotated[dt.date | None, doc("since when"), column("Since", 11, sql="place_from")]


class Visit(msgspec.Struct, frozen=True, kw_only=True):
    at: Annotated[dt.datetime, doc("when, UTC"), column("At (UTC)", 20, sql="visited_at")]
    place: Place
    people: Annotated[int, doc("how many came"), column("People", 8, number_format="#,##0")]
    share: Annotated[float | None, doc("of the town"), column("Share", 7)]
    tags: Annotated[list[str], doc("notes"), column("Notes", 20)]
    kind: Annotated[str, doc("a code"), column("Kind", 5, type="int")]


def test_a_models_fields_make_its_columns_in_order_with_nested_structs_flattened() -> None:
    table = table_of(Visit, "visits", "Visits")
    got = [(c.name, c.type, c.header, c.width, c.description) for c in table.columns]
    assert got == [
        ("at", "datetime", "At (UTC)", 20, "when, UTC"),
        ("place_code", "text", "Code", 6, "its code"),
        ("place_since", "date", "Since", 11, "since when"),
        ("people", "int", "People", 8, "how many came"),
        ("share", "float", "Share", 7, "of the town"),
        ("tags", "list", "Notes", 20, "notes"),
        ("kind", "int", "Kind", 5, "a code"),
    ]
    assert [c.sql_column for c in table.columns][:3] == ["visited_at", "place_code", "place_from"]
    assert table.column("people").format == "#,##0"
    visit = Visit(
        at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        place=Place(code="yul", since=None),
        people=3,
        share=0.5,
        tags=[],
        kind="1",
    )
    assert [c.value(visit) for c in table.columns][1:3] == ["yul", None]


def test_a_field_without_doc_or_column_is_refused() -> None:
    class Bare(msgspec.Struct):
        n: Annotated[int, doc("a number")]

    with pytest.raises(TypeError, match=r"Bare\.n needs doc\(\) and column\(\)"):
        table_of(Bare, "bare", "Bare")


def test_the_row_reader_builds_the_struct_from_each_columns_sql_name() -> None:
    row = {
        "visited_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        "place_code": "yul",
        "place_from": dt.date(2020, 1, 1),
        "people": 3,
        "share": None,
        "tags": ["a"],
        "kind": "x",
    }
    visit = row_reader(Visit)(row)
    assert visit == Visit(
        at=row["visited_at"],
        place=Place(code="yul", since=dt.date(2020, 1, 1)),
        people=3,
        share=None,
        tags=["a"],
        kind="x",
    )


def sample(kind: str, i: int) -> object:
    """A value of a column's type, different for each column ``i``."""
    day = dt.date(2018, 1, 1) + dt.timedelta(days=i)
    return {
        "text": f"text {i}",
        "int": i,
        "float": i + 0.5,
        "bool": i % 2 == 0,
        "date": day,
        "datetime": dt.datetime.combine(day, dt.time(11, 22, i), tzinfo=dt.UTC),
        "list": [f"note {i}"],
    }[kind]


def test_every_draw_column_is_read_from_its_sql_column_into_its_place() -> None:
    row = {c.sql_column: sample(c.type, i) for i, c in enumerate(DRAWS.columns)}
    draw = draw_of_row(row)
    assert isinstance(draw, Draw)
    assert {c.sql_column: c.value(draw) for c in DRAWS.columns} == row


def test_the_column_marker_changes_nothing_msgspec_encodes_or_describes() -> None:
    schema = msgspec.json.schema(Visit)
    assert "header" not in str(schema) and "Notes" not in str(schema)
    assert schema["$defs"]["Visit"]["properties"]["people"] == {
        "description": "how many came",
        "type": "integer",
    }
