"""The columns of each table the API serves as rows: one table drives CSV, XLSX and the docs.

A ``Column`` names a value of a row (a model struct from ``api.models``) by its path, and says
its type, its XLSX number format and width, a human header with units (XLSX) and what it means
(the XLSX "About" sheet and docs/exports.md). CSV headings are the API's field names. The JSON
of the same resource is the model itself; a test holds each table to its model's fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

ColumnType = Literal["text", "int", "float", "bool", "date", "datetime", "list"]


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


_CATEGORY_NAME = Column(
    "category_name", "text", "Category", 40, "the line's current display name", path="category.name"
)


def _draw_columns() -> tuple[Column, ...]:
    return (
        Column(
            "number",
            "text",
            "Round",
            8,
            "the round's number as IRCC publishes it: `385`, and `91a`/`91b` for the two rounds "
            "of 30 May 2018 (text)",
        ),
        Column("date", "date", "Date", 11, "date of the round (`YYYY-MM-DD`)", sql="draw_date"),
        Column(
            "category_slug",
            "text",
            "Category (id)",
            24,
            "stable id of the round's line: a program (`cec`, `pnp`, `fsw`, `fst`), `general` "
            "(all programs), or a category (`healthcare`, `trades`, "
            "`french-language-proficiency`, ...); see `/v1/categories`",
            path="category.slug",
        ),
        _CATEGORY_NAME,
        Column(
            "category_version",
            "int",
            "Category version",
            9,
            "the version of the category's eligibility list the round used (`Version 2` gives "
            "`2`); empty for programs and general rounds",
            path="category.version",
        ),
        Column(
            "name",
            "text",
            "Round type (as published)",
            48,
            "the round's name exactly as IRCC published it",
        ),
        Column(
            "invitations", "int", "Invitations", 11, "invitations to apply issued", format="#,##0"
        ),
        Column(
            "crs_min",
            "int",
            "Cut-off CRS",
            11,
            "CRS score of the lowest-ranked candidate invited (the cut-off)",
        ),
        Column(
            "programs",
            "text",
            "Programs",
            40,
            "the programs that could be invited, as IRCC words it",
        ),
        Column("run_at", "datetime", "Run at (UTC)", 20, "when IRCC ran the round, UTC"),
        Column(
            "tie_break_at",
            "datetime",
            "Tie-break at (UTC)",
            20,
            "the tie-breaking rule: among candidates at exactly `crs_min`, those whose profile "
            "was submitted before this instant were invited; UTC; empty when IRCC gave none",
        ),
        Column(
            "pool_snapshot_date",
            "date",
            "Pool snapshot date",
            13,
            "date of the pool distribution published with the round (`/v1/pool/{date}`); "
            "empty when none",
        ),
        Column(
            "flags",
            "list",
            "Data notes",
            24,
            "data-quality notes from ingest, joined with `;` (e.g. `tie_break_year_inferred`); "
            "usually empty",
        ),
    )


DRAWS = Table("draws", "Express Entry rounds of invitations", _draw_columns())

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

POOL = Table(
    "pool",
    "Express Entry pool snapshots",
    (
        Column("date", "date", "Snapshot date", 13, "date of the pool distribution"),
        Column(
            "total",
            "int",
            "Candidates in pool",
            12,
            "candidates in the pool that day",
            format="#,##0",
        ),
        Column(
            "source_draw",
            "text",
            "Published with round",
            10,
            "the round the snapshot was published with",
        ),
        Column(
            "flags", "list", "Data notes", 24, "data-quality notes from ingest, joined with `;`"
        ),
    ),
)

POOL_BANDS = Table(
    "pool-bands",
    "Express Entry pool: candidates per CRS band, per snapshot",
    (
        Column("date", "date", "Snapshot date", 13, "date of the pool distribution"),
        Column("band", "int", "Band", 6, "IRCC's order of the band in the published table"),
        Column("crs_lo", "int", "CRS from", 9, "lowest CRS score of the band"),
        Column("crs_hi", "int", "CRS to", 9, "highest CRS score of the band"),
        Column("candidates", "int", "Candidates", 12, "candidates in the band", format="#,##0"),
        Column(
            "is_subtotal",
            "bool",
            "Subtotal",
            9,
            "`true` for a subtotal of the bands below it (IRCC's 451-500 and 401-450): leave "
            "them out when adding up",
        ),
    ),
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
TABLES = (DRAWS, YEARLY, YEARLY_BY_CATEGORY, POOL, POOL_BANDS, CATEGORIES, SERIES)


# --- docs ----------------------------------------------------------------------------------


def markdown(table: Table) -> str:
    """The column table of docs/exports.md: CSV name, XLSX header, type, meaning."""
    lines = ["| column (CSV) | header (XLSX) | type | meaning |", "|---|---|---|---|"]
    for c in table.columns:
        lines.append(f"| `{c.name}` | {c.header} | {c.type} | {c.description} |")
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
