"""The columns of each table the API serves as rows: one table drives CSV, XLSX and the docs.

A ``Column`` names a value of a row (a model struct from ``api.models``) by its path, and says
its type, its XLSX number format and width, a human header with units (XLSX) and what it means
(the XLSX "About" sheet and docs/exports.md). CSV headings are the API's field names. The JSON
of the same resource is the model itself.

The draws' table is derived from the model (``table_of(models.Draw)``): each field's
``doc(...)`` and ``column(...)`` are its description and its look, so adding a field to
``Draw`` (and to the view ``draws_v``) adds it to JSON, OpenAPI, GraphQL, CSV (PostgreSQL writes
it from ``sql_column``), XLSX, the About sheet and docs/exports.md; ``row_reader(models.Draw)``
builds the struct from a ``draws_v`` row by the same names. The pool's two tables are derived the
same way (``PoolSnapshotSummary``, ``PoolBandRow``); the aggregates (yearly, categories, series)
are declared here, and a test holds each to its model's fields.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec

from api.models import (
    BacktestRow,
    ColumnLook,
    Draw,
    NextRoundRow,
    PoolBandRow,
    PoolSnapshotSummary,
)
from api.models import ColumnType as ColumnType

S = TypeVar("S", bound=msgspec.Struct)


class Column(msgspec.Struct, frozen=True):
    name: str
    type: ColumnType
    header: str
    width: int
    description: str
    # Where the value is in the row: "crs_min", "category.slug". Default: the name.
    path: str = ""
    # XLSX number format; the type's default when empty.
    format: str = ""
    # The SQL column holding the value (PostgreSQL writes the CSV of draws); default: the path
    # with dots as underscores ("category.slug" is category_slug).
    sql: str = ""

    @property
    def sql_column(self) -> str:
        return self.sql or (self.path or self.name).replace(".", "_")

    def value(self, row: Any) -> Any:
        value = row
        for part in (self.path or self.name).split("."):
            if value is None:
                return None
            value = getattr(value, part)
        return value


class Table(msgspec.Struct, frozen=True):
    """Rows of one kind: ``name`` is the sheet's and the file name's, ``title`` a person's."""

    name: str
    title: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# --- a table from a model ------------------------------------------------------------------


class _Leaf(msgspec.Struct, frozen=True):
    """A scalar field of a model, reached through ``path`` (nested structs flattened)."""

    path: tuple[str, ...]
    hint: Any
    description: str | None
    look: ColumnLook | None

    @property
    def name(self) -> str:
        return "_".join(self.path)

    @property
    def sql_column(self) -> str:
        return (self.look.sql if self.look else "") or self.name


def _split(hint: Any) -> tuple[Any, str | None, ColumnLook | None]:
    """The type without ``Annotated``, its ``doc`` description and its ``column`` look."""
    if typing.get_origin(hint) is not Annotated:
        return hint, None, None
    bare, *extras = typing.get_args(hint)
    description = next(
        (m.description for m in extras if isinstance(m, msgspec.Meta) and m.description), None
    )
    look = next((m for m in extras if isinstance(m, ColumnLook)), None)
    return bare, description, look


def _struct(hint: Any) -> type[msgspec.Struct] | None:
    return hint if isinstance(hint, type) and issubclass(hint, msgspec.Struct) else None


def _leaves(model: type[msgspec.Struct], prefix: tuple[str, ...] = ()) -> Iterator[_Leaf]:
    hints = typing.get_type_hints(model, include_extras=True)
    for field in msgspec.structs.fields(model):
        bare, description, look = _split(hints[field.name])
        inner = _struct(bare)
        if inner is not None:
            yield from _leaves(inner, (*prefix, field.name))
        else:
            yield _Leaf((*prefix, field.name), bare, description, look)


def _column_type(hint: Any) -> ColumnType:
    kinds = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (types.UnionType, typing.Union) and len(kinds) == 1:
        hint = kinds[0]
    if typing.get_origin(hint) in (list, tuple):
        return "list"
    # datetime before date: a datetime is a date.
    for python, kind in _TYPES:
        if isinstance(hint, type) and issubclass(hint, python):
            return kind
    raise TypeError(f"no column type for {hint!r}: give column(..., type=...)")


_TYPES: tuple[tuple[type, ColumnType], ...] = (
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "text"),
    (dt.datetime, "datetime"),
    (dt.date, "date"),
)


def table_of(model: type[msgspec.Struct], name: str, title: str) -> Table:
    """The table of ``model``: a column per scalar field, in field order, nested structs'
    fields flattened; every one needs a ``doc`` and a ``column`` in the model."""
    columns = []
    for leaf in _leaves(model):
        if leaf.look is None or not leaf.description:
            raise TypeError(f"{model.__name__}.{'.'.join(leaf.path)} needs doc() and column()")
        columns.append(
            Column(
                leaf.name,
                leaf.look.type or _column_type(leaf.hint),
                leaf.look.header,
                leaf.look.width,
                leaf.description,
                path=".".join(leaf.path) if len(leaf.path) > 1 else "",
                format=leaf.look.number_format,
                sql=leaf.look.sql,
            )
        )
    return Table(name, title, tuple(columns))


def row_reader(model: type[S]) -> Callable[[Mapping[str, Any]], S]:
    """A function making ``model`` of a database row holding each column's ``sql_column``.

    Compiled to one expression, as ``dataclasses`` compiles ``__init__``: ``Draw(number=
    row['number'], category=CategoryRef(slug=row['category_slug'], ...), ...)`` reads a row as
    fast as written out by hand (a loop over the fields took 3.5 times as long)."""
    structs: dict[str, type[msgspec.Struct]] = {}
    source = _constructor(model, (), structs)
    read: Callable[[Mapping[str, Any]], S] = eval(f"lambda row: {source}", structs)
    return read


def _constructor(
    model: type[msgspec.Struct], prefix: tuple[str, ...], structs: dict[str, type]
) -> str:
    alias = f"_{len(structs)}_{model.__name__}"
    structs[alias] = model
    hints = typing.get_type_hints(model, include_extras=True)
    args = []
    for field in msgspec.structs.fields(model):
        bare, description, look = _split(hints[field.name])
        inner = _struct(bare)
        path = (*prefix, field.name)
        if inner is not None:
            value = _constructor(inner, path, structs)
        else:
            value = f"row[{_Leaf(path, bare, description, look).sql_column!r}]"
        args.append(f"{field.name}={value}")
    return f"{alias}({', '.join(args)})"


DRAWS = table_of(Draw, "draws", "Express Entry rounds of invitations")
draw_of_row = row_reader(Draw)

_CATEGORY_NAME = DRAWS.column("category_name")
_YEAR = Column("year", "int", "Year", 7, "calendar year of the rounds", format="0")
_YEARLY_NUMBERS = (
    Column("draws", "int", "Rounds", 8, "rounds held that year"),
    Column(
        "invitations", "int", "Invitations", 12, "invitations issued, all rounds", format="#,##0"
    ),
    Column("crs_min", "int", "Lowest cut-off CRS", 10, "lowest cut-off CRS of the year's rounds"),
    Column("crs_max", "int", "Highest cut-off CRS", 10, "highest cut-off CRS of the year's rounds"),
    Column(
        "crs_mean",
        "float",
        "Mean cut-off CRS",
        10,
        "mean of the rounds' cut-off CRS, 2 decimals",
        format="0.00",
    ),
)
YEARLY = Table("yearly", "Express Entry rounds per year", (_YEAR, *_YEARLY_NUMBERS))
YEARLY_BY_CATEGORY = Table(
    "yearly-by-category",
    "Express Entry rounds per year and category line",
    (
        _YEAR,
        Column(
            "category_slug",
            "text",
            "Category (id)",
            24,
            "stable id of the category line (see `/v1/categories`)",
            path="category.slug",
        ),
        _CATEGORY_NAME,
        *_YEARLY_NUMBERS,
    ),
)

POOL = table_of(PoolSnapshotSummary, "pool", "Express Entry pool snapshots")
POOL_BANDS = table_of(
    PoolBandRow, "pool-bands", "Express Entry pool: candidates per CRS band, per snapshot"
)

CATEGORIES = Table(
    "categories",
    "Express Entry round types: programs and categories, with every published name",
    (
        Column("slug", "text", "Category (id)", 24, "stable id of the line, kept across renames"),
        Column("name", "text", "Category", 40, "the line's current display name"),
        Column("kind", "text", "Kind", 10, "`program` or `category`"),
        Column(
            "aliases",
            "list",
            "Published names",
            60,
            "every name IRCC published for the line, joined with `;`",
        ),
        Column("draws", "int", "Rounds", 8, "rounds of the line"),
        Column("invitations", "int", "Invitations", 12, "invitations of the line", format="#,##0"),
        Column("first_draw", "text", "First round", 8, "number of the line's first round"),
        Column("first_draw_date", "date", "First round date", 11, "date of its first round"),
        Column("last_draw", "text", "Last round", 8, "number of the line's latest round"),
        Column("last_draw_date", "date", "Last round date", 11, "date of its latest round"),
    ),
)

SERIES = Table(
    "series",
    "Express Entry series over time",
    (
        Column(
            "period",
            "text",
            "Period",
            11,
            "the round date (`frequency=draw`), month `2025-12`, quarter `2025-Q4` or year `2025`",
        ),
        Column(
            "category",
            "text",
            "Category (id)",
            24,
            "the series' category line (see `/v1/categories`); empty: all rounds together",
        ),
        Column(
            "value",
            "float",
            "Value",
            10,
            "the period's figure in the series' units (see `meta` of the JSON); empty when no "
            "round fell in the period",
            # General: 476 and 470.5 as they are ("#,##0.##" would show "476.").
        ),
        Column("draws", "int", "Rounds", 8, "rounds in the period"),
    ),
)
NEXT_ROUNDS = table_of(
    NextRoundRow, "forecasts-next", "Express Entry next-round estimates, with their backtest"
)
BACKTEST = table_of(
    BacktestRow, "forecasts-backtest", "Express Entry next-round estimates: every past prediction"
)
TABLES = (
    DRAWS,
    YEARLY,
    YEARLY_BY_CATEGORY,
    POOL,
    POOL_BANDS,
    CATEGORIES,
    SERIES,
    NEXT_ROUNDS,
    BACKTEST,
)


# --- docs ----------------------------------------------------------------------------------


# pandas' nullable dtypes: a column keeps its type when a file has a blank cell in it, or none.
# Dates stay text (ISO 8601): parse_dates gives an all-blank column another unit and no zone.
_PANDAS = {
    "text": "string",
    "list": "string",
    "date": "string",
    "datetime": "string",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
}


def pandas_dtypes(table: Table) -> dict[str, str]:
    """Each column's pandas dtype, so every file of ``table`` reads with the same types.

    A CSV has no types: a reader guesses each column's from its values, so round numbers are
    integers in a file of healthcare rounds and text in one with ``91a``, and a version is an
    integer where every round has one and a float where one is blank: two such frames do not
    merge. Naming every column's type makes any file of the table read alike."""
    return {c.name: _PANDAS[c.type] for c in table.columns}


def pandas_recipe(table: Table) -> str:
    dtypes = ", ".join(f'"{name}": "{dtype}"' for name, dtype in pandas_dtypes(table).items())
    return f"pd.read_csv(url, dtype={{{dtypes}}})"


def markdown(table: Table) -> str:
    """The column table of docs/exports.md: CSV name, XLSX header, type, meaning; and how
    pandas reads it with those types."""
    lines = ["| column (CSV) | header (XLSX) | type | meaning |", "|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| `{c.name}` | {c.header} | {c.type} | {c.description} |")
    lines += ["", f"In pandas, with these types whatever the rows: `{pandas_recipe(table)}`"]
    return "\n".join(lines)


def _marker(table: Table, end: bool) -> str:
    return f"<!-- columns:{table.name}:{'end' if end else 'start'} -->"


def docs_with_tables(text: str, tables: Sequence[Table] = TABLES) -> str:
    """``text`` (docs/exports.md) with each table's section between its markers regenerated."""
    for table in tables:
        pattern = re.compile(
            re.escape(_marker(table, False)) + r".*?" + re.escape(_marker(table, True)), re.S
        )
        block = f"{_marker(table, False)}\n{markdown(table)}\n{_marker(table, True)}"
        text, found = pattern.subn(block.replace("\\", "\\\\"), text)
        if found != 1:
            raise ValueError(f"docs need exactly one {_marker(table, False)} section")
    return text


def write_docs(path: Path) -> None:
    path.write_text(docs_with_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
