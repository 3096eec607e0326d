"""Spreadsheet renderers: rows of a ``columns.Table`` as CSV (RFC 4180, UTF-8) or XLSX.

Pure functions from model structs to bytes, driven by the column table; the HTTP side (which
format, file names) is ``api.rest.formats``. Choices (BOM on request, the formula guard, typed
XLSX cells, the About sheet) are explained in docs/exports.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
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
# rule (_SQL_TEXT, built from it) matches.
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
    """The file ``csv_bytes`` writes, from its data lines already written (``copy_lines``)."""
    return csv_bytes(table, (), bom=bom) + lines


# --- CSV written by PostgreSQL ---------------------------------------------------------------
# The same bytes as csv_bytes, the rows' cells written by PostgreSQL's COPY ... TO STDOUT (FORMAT
# csv), in C, so a large export costs no Python per cell (docs/exports.md, "Who writes the CSV of
# rounds"). COPY quotes as the csv module's QUOTE_MINIMAL does (a delimiter, a quote, CR or LF)
# and writes NULL as an empty cell; the select list below gives each value the spelling
# csv_bytes gives it, and copy_lines turns COPY's LF line ends into RFC 4180's CRLF.
# tests/integration/test_sql_csv.py holds the two writers to the same bytes.

# spreadsheet_text: a formula lead, unless the whole value reads as a number (ASCII, as _NUMBER);
# and an empty text as NULL (COPY quotes an empty string, "", to tell it from NULL; the csv
# module writes both as an empty cell). The first character's code (ascii: 0 for '') sends the
# few texts that need either to the slow branch; the others cost one integer test.
# The leads and the number rule are the Python renderer's own (_FORMULA_LEADS, _NUMBER).
_SQL_LEADS = ", ".join(str(code) for code in sorted({0, *map(ord, _FORMULA_LEADS)}))
_SQL_TEXT = (
    f"CASE WHEN ascii({{v}}) IN ({_SQL_LEADS}) THEN (CASE WHEN {{v}} = '' THEN NULL "
    f"WHEN {{v}} ~ '^{_NUMBER.pattern}$' THEN {{v}} "
    "ELSE '''' || {v} END) ELSE {v} END"
)
# A timestamp's UTC wall time (a timestamp without time zone). It has no fraction of a second
# when rounding it to whole seconds (a cast to timestamp(0): integer arithmetic) changes
# nothing; date_trunc cost twice as much.
_SQL_UTC = "({c} AT TIME ZONE 'UTC')"


def _sql_datetime(column: str) -> str:
    utc = _SQL_UTC.format(c=column)
    return (
        f"CASE WHEN {utc} = {utc}::timestamp(0) "
        f"THEN replace({utc}::text, ' ', 'T') || 'Z' "
        f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END"""
    )


def _sql_joined(column: str) -> str:
    return _SQL_TEXT.format(v=f"array_to_string({column}, '{FLAG_SEPARATOR}')")


# Integers and dates as COPY writes them: their text output, ISO 8601 for dates under the
# DateStyle db.SERVER_SETTINGS pins. Timestamps in msgspec's spelling: UTC as Z, microseconds
# only when there are some (to_char only then: it is slower). No flags: NULL at once.
_SQL_CELLS: dict[str, Callable[[str], str]] = {
    "text": lambda c: _SQL_TEXT.format(v=c),
    "list": lambda c: f"CASE WHEN cardinality({c}) = 0 THEN NULL ELSE {_sql_joined(c)} END",
    "int": lambda c: c,
    "bool": lambda c: f"{c}::text",
    "date": lambda c: c,
    "datetime": _sql_datetime,
}


def csv_select_sql(table: Table) -> str:
    """An SQL select list: ``table``'s cells in order, from a row holding each column's
    ``sql_column``, which ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` writes as csv_bytes does.
    Python and PostgreSQL spell floats differently, so a table with a float column is refused."""
    cells = []
    for column in table.columns:
        if column.type not in _SQL_CELLS:
            raise ValueError(f"PostgreSQL does not write {column.type} cells ({column.name})")
        cells.append(f'{_SQL_CELLS[column.type](column.sql_column)} AS "{column.name}"')
    return ",\n       ".join(cells)


def csv_format(table: Table) -> str:
    """What names ``csv_select_sql(table)``'s writer: lines stored by another one (an older
    release's columns or spellings) are not this server's bytes (sql/migrations/0006)."""
    return hashlib.sha256(csv_select_sql(table).encode()).hexdigest()[:16]


def _records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _written(records: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(records)
    return buffer.getvalue().encode("utf-8")


def copy_lines(data: bytes, rows: int) -> bytes:
    """COPY's CSV of ``rows`` records (LF line ends) as csv_bytes' data lines (CRLF)."""
    if data.count(b"\n") == rows:
        # One LF per record: no cell holds a line break, so each LF ends a record.
        return data.replace(b"\n", b"\r\n")
    # A cell holds a line break (no IRCC value does today): the csv module tells them apart.
    return _written(_records(data))


def copy_lines_with_keys(data: bytes, rows: int) -> list[tuple[bytes, str]]:
    """COPY's CSV of ``rows`` records whose last cell is no column of the file (a page's cursor
    key, written with no comma, quote or line break): each record's data line (CRLF) without
    that cell, and the cell."""
    if data.count(b"\n") == rows:
        lines = []
        for line in data.split(b"\n")[:rows]:
            record, _, key = line.rpartition(b",")
            lines.append((record + b"\r\n", key.decode()))
        return lines
    return [(_written([r[:-1]]), r[-1]) for r in _records(data)]


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
