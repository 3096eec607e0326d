import csv
import datetime as dt
import io

import msgspec
import openpyxl
import pytest

from api.columns import DRAWS
from api.exports import About, csv_bytes, spreadsheet_text, xlsx_bytes
from api.models import CategoryRef, Draw

ABOUT = About(
    source="https://example.org/rounds.json",
    loaded_from="tests",
    data_version=7,
    data_as_of=dt.date(2026, 4, 15),
    data_changed_at=dt.datetime(2026, 4, 21, 9, 30, tzinfo=dt.UTC),
    query="/v1/draws.xlsx",
)


def draws_csv(draws: list[Draw]) -> bytes:
    return csv_bytes(DRAWS, draws)


def draws_xlsx(draws: list[Draw]) -> bytes:
    return xlsx_bytes(DRAWS, draws, ABOUT)


def a_draw(**changes: object) -> Draw:
    values: dict[str, object] = {
        "number": "91a",
        "date": dt.date(2018, 5, 30),
        "category": CategoryRef(slug="fst", name="Federal Skilled Trades", version=None),
        "name": "Federal Skilled Trades",
        "invitations": 500,
        "crs_min": 288,
        "programs": "Federal Skilled Trades",
        "run_at": None,
        "tie_break_at": None,
        "pool_snapshot_date": None,
        "flags": [],
    }
    values.update(changes)
    return Draw(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_text_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(lead: str) -> None:
    assert spreadsheet_text(f"{lead}HYPERLINK(1)") == f"'{lead}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["Canadian Experience Class", "", "91a", "a=b", "'quoted"])
def test_ordinary_text_is_written_unchanged(text: str) -> None:
    assert spreadsheet_text(text) == text


def test_csv_guards_text_columns_but_writes_numbers_as_plain_digits() -> None:
    draw = a_draw(name="=cmd|' /C calc'!A0", programs="@SUM(1)", flags=["-x"])
    row = next(csv.DictReader(io.StringIO(draws_csv([draw]).decode(), newline="")))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["programs"] == "'@SUM(1)"
    assert row["flags"] == "'-x"
    assert (row["invitations"], row["crs_min"], row["category_version"]) == ("500", "288", "")


def test_csv_dates_and_timestamps_are_spelt_as_the_json_api_spells_them() -> None:
    draw = a_draw(
        run_at=dt.datetime(2026, 4, 15, 10, 43, 11, tzinfo=dt.UTC),
        tie_break_at=dt.datetime(2025, 11, 14, 7, 14, 25, 500000, tzinfo=dt.UTC),
        pool_snapshot_date=dt.date(2026, 4, 12),
    )
    row = next(csv.DictReader(io.StringIO(draws_csv([draw]).decode(), newline="")))
    as_json = msgspec.json.decode(msgspec.json.encode(draw))
    assert row["run_at"] == as_json["run_at"] == "2026-04-15T10:43:11Z"
    assert row["tie_break_at"] == as_json["tie_break_at"] == "2025-11-14T07:14:25.500000Z"
    assert (row["date"], row["pool_snapshot_date"]) == ("2018-05-30", "2026-04-12")


def test_xlsx_writes_formula_like_text_as_text_not_as_a_formula() -> None:
    body = draws_xlsx([a_draw(name="=1+1")])
    sheet = openpyxl.load_workbook(io.BytesIO(body))["draws"]
    cell = sheet["F2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_xlsx_writes_utc_wall_time_for_timestamps() -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    body = draws_xlsx([a_draw(run_at=dt.datetime(2026, 4, 15, 5, 43, 11, tzinfo=eastern))])
    sheet = openpyxl.load_workbook(io.BytesIO(body))["draws"]
    assert sheet["J2"].value == dt.datetime(2026, 4, 15, 10, 43, 11)
    assert sheet["J2"].number_format == "yyyy-mm-dd hh:mm:ss"
