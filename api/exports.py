"""Spreadsheet encodings of the read layer's answers: CSV (RFC 4180, UTF-8) and XLSX.

Pure functions from ``api.models`` structs to bytes; the HTTP side is ``api.rest.exports``.
Choices (no BOM, the formula guard, typed XLSX cells) are explained in docs/exports.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import xlsxwriter

from api.models import Draw, PoolSnapshotSummary, YearlyStat

DRAW_COLUMNS: tuple[str, ...] = (
    "number",
    "date",
    "category_slug",
    "category_name",
    "category_version",
    "name",
    "invitations",
    "crs_min",
    "programs",
    "run_at",
    "tie_break_at",
    "pool_snapshot_date",
    "flags",
)
# Characters a spreadsheet may read as the start of a formula (OWASP "CSV injection").
_FORMULA_LEADS = frozenset("=+-@\t\r")
FLAG_SEPARATOR = ";"


def spreadsheet_text(value: str) -> str:
    """``value``, with a leading apostrophe if a spreadsheet would run it as a formula.

    Only for text columns: numbers are written by us as digits and never start with these.
    """
    return "'" + value if value[:1] in _FORMULA_LEADS else value


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- draws -------------------------------------------------------------------------------


def _draw_csv_row(d: dict[str, Any]) -> tuple[object, ...]:
    text = spreadsheet_text
    category = d["category"]
    version = category["version"]
    return (
        text(d["number"]),
        d["date"],
        text(category["slug"]),
        text(category["name"]),
        "" if version is None else version,
        text(d["name"]),
        d["invitations"],
        d["crs_min"],
        text(d["programs"]),
        d["run_at"] or "",
        d["tie_break_at"] or "",
        d["pool_snapshot_date"] or "",
        text(FLAG_SEPARATOR.join(d["flags"])),
    )


def draws_csv(draws: Sequence[Draw]) -> bytes:
    """One header row, then one row per draw, in the order given."""
    # msgspec renders dates and timestamps in C, exactly as the JSON API writes them (UTC as
    # "Z"), at a third of the cost of calling isoformat() per cell.
    return _csv_bytes(DRAW_COLUMNS, map(_draw_csv_row, msgspec.to_builtins(draws)))


# Width in characters of each column of the XLSX sheet, in DRAW_COLUMNS order.
_DRAW_WIDTHS = (8, 11, 24, 40, 9, 48, 11, 8, 40, 20, 20, 11, 24)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    # Excel has no time zones: cells hold UTC wall time, as docs/exports.md says.
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def draws_xlsx(draws: Sequence[Draw]) -> bytes:
    """A workbook with one sheet, ``draws``: typed cells, frozen header, autofilter."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    header_format = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    timestamp_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = workbook.add_worksheet("draws")
    for col, width in enumerate(_DRAW_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(draws), len(DRAW_COLUMNS) - 1)
    # Round numbers are text ("91a"); don't flag "385" as a number stored as text.
    sheet.ignore_errors({"number_stored_as_text": f"A2:A{len(draws) + 1}"})
    for col, name in enumerate(DRAW_COLUMNS):
        sheet.write_string(0, col, name, header_format)
    for row, d in enumerate(draws, start=1):
        _write_draw(sheet, row, d, date_format, timestamp_format)
    workbook.close()
    return output.getvalue()


def _write_draw(sheet: Any, row: int, d: Draw, date_format: Any, timestamp_format: Any) -> None:
    # write_string everywhere text goes: XlsxWriter's write() would turn "=..." into a formula.
    sheet.write_string(row, 0, d.number)
    sheet.write_datetime(row, 1, d.date, date_format)
    sheet.write_string(row, 2, d.category.slug)
    sheet.write_string(row, 3, d.category.name)
    if d.category.version is not None:
        sheet.write_number(row, 4, d.category.version)
    sheet.write_string(row, 5, d.name)
    sheet.write_number(row, 6, d.invitations)
    sheet.write_number(row, 7, d.crs_min)
    sheet.write_string(row, 8, d.programs)
    if d.run_at is not None:
        sheet.write_datetime(row, 9, _naive_utc(d.run_at), timestamp_format)
    if d.tie_break_at is not None:
        sheet.write_datetime(row, 10, _naive_utc(d.tie_break_at), timestamp_format)
    if d.pool_snapshot_date is not None:
        sheet.write_datetime(row, 11, d.pool_snapshot_date, date_format)
    if d.flags:
        sheet.write_string(row, 12, FLAG_SEPARATOR.join(d.flags))


# --- stats and pool ----------------------------------------------------------------------


def _category_cells(s: YearlyStat, by_category: bool) -> tuple[str, ...]:
    if not by_category:
        return ()
    if s.category is None:
        return ("", "")
    return (spreadsheet_text(s.category.slug), spreadsheet_text(s.category.name))


def yearly_stats_csv(stats: Iterable[YearlyStat], *, by_category: bool) -> bytes:
    """Per year (and category line with ``by_category``): rounds, invitations, CRS."""
    category = ("category_slug", "category_name") if by_category else ()
    header = ("year", *category, "draws", "invitations", "crs_min", "crs_max", "crs_mean")
    rows = (
        (
            s.year,
            *_category_cells(s, by_category),
            s.draws,
            s.invitations,
            s.crs_min,
            s.crs_max,
            s.crs_mean,
        )
        for s in stats
    )
    return _csv_bytes(header, rows)


def pool_snapshots_csv(snapshots: Iterable[PoolSnapshotSummary]) -> bytes:
    """Snapshot dates and pool totals, in the order given."""
    rows = (
        (
            s.date.isoformat(),
            s.total,
            spreadsheet_text(s.source_draw),
            spreadsheet_text(FLAG_SEPARATOR.join(s.flags)),
        )
        for s in snapshots
    )
    return _csv_bytes(("date", "total", "source_draw", "flags"), rows)
