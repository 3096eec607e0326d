"""Spreadsheet renderers: rows of a ``columns.Table`` as CSV (RFC 4180, UTF-8) or XLSX.

Pure functions from model structs to bytes, driven by the column table; the HTTP side (which
format, file names) is ``api.rest.formats``. Choices (BOM on request, the formula guard, typed
XLSX cells, the About sheet) are explained in docs/exports.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import xlsxwriter

from api.columns import Column, Table

LICENCE = "Open Government Licence – Canada"  # noqa: RUF001 (its official spelling)
LICENCE_URL = "https://open.canada.ca/en/open-government-licence-canada"
PUBLISHER = "Immigration, Refugees and Citizenship Canada (IRCC)"
FLAG_SEPARATOR = ";"
BOM = "\ufeff".encode()
# Characters a spreadsheet may read as the start of a formula (OWASP "CSV injection").
_FORMULA_LEADS = frozenset("=+-@\t\r")
# ASCII digits only: what a spreadsheet reads as a number, and what PostgreSQL's twin of this
# rule (_SQL_GUARD) matches.
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class About(msgspec.Struct, frozen=True, kw_only=True):
    """Where a file's numbers come from: the XLSX "About" sheet and document properties."""

    source: str
    loaded_from: str | None
    data_version: int
    data_as_of: dt.date | None
    data_changed_at: dt.datetime
    query: str


def spreadsheet_text(value: str) -> str:
    """``value``, with a leading apostrophe if a spreadsheet would run it as a formula.

    A value that reads as a number (``-5``, ``+1.5``) is left alone: it is a number, not a
    formula, and must stay one.
    """
    if value[:1] in _FORMULA_LEADS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


# --- CSV -----------------------------------------------------------------------------------


def _csv_cell(column: Column, value: Any) -> object:
    if value is None:
        return ""
    if column.type == "list":
        return spreadsheet_text(FLAG_SEPARATOR.join(value))
    if column.type == "text":
        return spreadsheet_text(value)
    if column.type == "bool":
        return "true" if value else "false"
    if column.type in ("date", "datetime"):
        # msgspec spells dates and timestamps exactly as the JSON API does (UTC as "Z").
        return msgspec.to_builtins(value)
    return value


def csv_bytes(table: Table, rows: Iterable[Any], *, bom: bool = False) -> bytes:
    """One header row (the API's field names), then one row per struct, in the order given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in table.columns])
    columns = table.columns
    writer.writerows([_csv_cell(c, c.value(row)) for c in columns] for row in rows)
    body = buffer.getvalue().encode("utf-8")
    return BOM + body if bom else body


def csv_document(table: Table, lines: bytes, *, bom: bool = False) -> bytes:
    """The file ``csv_bytes`` writes, from its data lines already written (``csv_line_sql``)."""
    return csv_bytes(table, (), bom=bom) + lines


# --- CSV written by PostgreSQL ---------------------------------------------------------------
# The same bytes as csv_bytes, each line made by the statement that reads the rows, so a large
# export costs no Python per cell (docs/benchmarks.md, "Cold path"). Each rule above has its
# SQL twin here; tests/integration/test_sql_csv.py holds the two to the same bytes.

# spreadsheet_text: a formula lead, unless the whole value reads as a number (ASCII, as _NUMBER).
_SQL_GUARD = (
    r"CASE WHEN left({v}, 1) IN ('=', '+', '-', '@', E'\t', E'\r') "
    r"AND {v} !~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$' "
    r"THEN '''' || {v} ELSE {v} END"
)
# The csv module's QUOTE_MINIMAL: quoted when holding the delimiter, a quote or a line break.
_SQL_QUOTE = (
    r"""CASE WHEN {v} ~ '[",\r\n]' THEN '"' || replace({g}, '"', '""') || '"' ELSE {g} END"""
)


def _sql_text(column: str) -> str:
    # An empty text comes out empty, as None does: no NULLIF needed (it cost a fifth).
    return _SQL_QUOTE.format(v=column, g=_SQL_GUARD.format(v=column))


# Dates and whole-second timestamps by their text output, which is ISO 8601 under the DateStyle
# db.SERVER_SETTINGS pins (to_char is slower); msgspec's spelling: UTC as Z, microseconds only
# when there are some.
_SQL_CELLS: dict[str, Callable[[str], str]] = {
    "text": _sql_text,
    "list": lambda c: _sql_text(f"array_to_string({c}, '{FLAG_SEPARATOR}')"),
    "int": lambda c: f"{c}::text",
    "bool": lambda c: f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END",
    "date": lambda c: f"{c}::text",
    "datetime": lambda c: (
        f"CASE WHEN {c} = date_trunc('second', {c}) "
        f"THEN replace(({c} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z' "
        f"""ELSE to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
    ),
}


def csv_line_sql(table: Table) -> str:
    """An SQL expression: one CSV line (CRLF included) of ``table``, from a row holding each
    column's ``sql_column``. Python and PostgreSQL spell floats differently, so a table with a
    float column is refused."""
    cells = []
    for column in table.columns:
        if column.type not in _SQL_CELLS:
            raise ValueError(f"PostgreSQL does not write {column.type} cells ({column.name})")
        cells.append(_SQL_CELLS[column.type](column.sql_column))
    return f"array_to_string(ARRAY[{', '.join(cells)}], ',', '') || E'\\r\\n'"


# --- XLSX ----------------------------------------------------------------------------------

_DEFAULT_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


def _naive_utc(value: dt.datetime) -> dt.datetime:
    # Excel has no time zones: cells hold UTC wall time, as the header "(UTC)" says.
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def xlsx_bytes(table: Table, rows: Sequence[Any], about: About) -> bytes:
    """A workbook: the rows (typed cells, human headers, frozen header row, autofilter), then an
    "About" sheet saying where the numbers come from, and document properties."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    workbook.set_properties(
        {
            "title": f"{table.title} (eedraws)",
            "subject": f"{table.title}, data as of {about.data_as_of or 'no data'}",
            "author": "eedraws",
            "company": PUBLISHER,
            "keywords": "Express Entry, IRCC, CRS, rounds of invitations",
            "comments": f"Source: {about.source}. {LICENCE}. Query: {about.query}",
            # The data's time, not the build's: the same data gives the same file.
            "created": _naive_utc(about.data_changed_at),
        }
    )
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    formats = {
        c.name: workbook.add_format({"num_format": c.format or _DEFAULT_FORMATS.get(c.type, "")})
        for c in table.columns
    }
    sheet = workbook.add_worksheet(table.name[:31])
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, column.width)
        sheet.write_string(0, col, column.header, bold)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(table.columns) - 1)
    text_columns = [i for i, c in enumerate(table.columns) if c.type == "text"]
    for col in text_columns:
        # Round numbers are text ("91a"); don't flag "385" as a number stored as text.
        letter = xlsxwriter.utility.xl_col_to_name(col)
        sheet.ignore_errors({"number_stored_as_text": f"{letter}2:{letter}{len(rows) + 1}"})
    for r, row in enumerate(rows, start=1):
        for col, column in enumerate(table.columns):
            _write_cell(sheet, r, col, column, column.value(row), formats[column.name])
    _write_about(workbook, table, about, bold)
    workbook.close()
    return output.getvalue()


def _write_cell(sheet: Any, row: int, col: int, column: Column, value: Any, fmt: Any) -> None:
    if value is None:
        return
    # write_string wherever text goes: XlsxWriter's write() would turn "=..." into a formula.
    if column.type == "text":
        sheet.write_string(row, col, value)
    elif column.type == "list":
        if value:
            sheet.write_string(row, col, FLAG_SEPARATOR.join(value))
    elif column.type in ("int", "float"):
        sheet.write_number(row, col, value, fmt)
    elif column.type == "bool":
        sheet.write_boolean(row, col, value)
    elif column.type == "datetime":
        sheet.write_datetime(row, col, _naive_utc(value), fmt)
    else:
        sheet.write_datetime(row, col, value, fmt)


def _write_about(workbook: Any, table: Table, about: About, bold: Any) -> None:
    sheet = workbook.add_worksheet("About")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 2, 100)
    facts = [
        ("Title", table.title),
        ("Publisher of the data", PUBLISHER),
        ("Source", about.source),
        ("Loaded from", about.loaded_from or "(no ingest recorded)"),
        ("Licence", f"{LICENCE}: {LICENCE_URL}"),
        ("Data as of", str(about.data_as_of or "no data")),
        ("Data version", str(about.data_version)),
        ("Data changed at (UTC)", _naive_utc(about.data_changed_at).isoformat(sep=" ")),
        ("Query", about.query),
        ("Served by", "eedraws, the open Express Entry rounds API"),
    ]
    for row, (key, value) in enumerate(facts):
        sheet.write_string(row, 0, key, bold)
        sheet.write_string(row, 1, value)
    start = len(facts) + 1
    sheet.write_string(start, 0, "Column", bold)
    sheet.write_string(start, 1, "API field (CSV, JSON)", bold)
    sheet.write_string(start, 2, "Meaning", bold)
    for row, column in enumerate(table.columns, start=start + 1):
        sheet.write_string(row, 0, column.header)
        sheet.write_string(row, 1, column.name)
        sheet.write_string(row, 2, column.description.replace("`", ""))
