from datetime import UTC, date, datetime

import pytest

from api.ingest.timestamps import (
    parse_ircc_date,
    parse_ircc_timestamp,
    timestamp_flags,
    year_was_inferred,
)


def _utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _flags(draw_date: date, run_at_raw: str, tie_break_at_raw: str) -> list[str]:
    return timestamp_flags(
        draw_date=draw_date,
        run_at=parse_ircc_timestamp(run_at_raw, draw_date=draw_date),
        run_at_raw=run_at_raw,
        tie_break_at=parse_ircc_timestamp(tie_break_at_raw, draw_date=draw_date),
        tie_break_at_raw=tie_break_at_raw,
    )


def test_well_formed_timestamp_parses_to_an_aware_utc_datetime() -> None:
    parsed = parse_ircc_timestamp("April 15, 2026 at 10:43:11 UTC", draw_date=date(2026, 4, 15))

    assert parsed == _utc(2026, 4, 15, 10, 43, 11)
    assert parsed is not None
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" July 13, 2016 at 13:56:45 UTC", _utc(2016, 7, 13, 13, 56, 45)),
        (" January 17, 2018 at 12:33:00 UTC", _utc(2018, 1, 17, 12, 33, 0)),
        ("July 04, 2023 at 19:36:18 UTC ", _utc(2023, 7, 4, 19, 36, 18)),
        ("October 18, 2025 at  7:18:52 UTC", _utc(2025, 10, 18, 7, 18, 52)),
    ],
)
def test_leading_trailing_and_double_spaces_are_ignored(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("October 18, 2025 at  7:18:52 UTC", _utc(2025, 10, 18, 7, 18, 52)),
        ("August 29, 2018 at 8:32:03 UTC", _utc(2018, 8, 29, 8, 32, 3)),
        ("September 05, 2025 at 0:59:13 UTC", _utc(2025, 9, 5, 0, 59, 13)),
    ],
)
def test_one_digit_hour_is_accepted(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("August 30. 2023 at 17:30:21 UTC", _utc(2023, 8, 30, 17, 30, 21)),
        ("March 02. 2024 at 01:58:34 UTC", _utc(2024, 3, 2, 1, 58, 34)),
    ],
)
def test_period_after_the_day_is_read_as_a_separator(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("October 25, 2023 at 15:48:39 AM UTC", _utc(2023, 10, 25, 15, 48, 39)),
        ("June 22, 2021 at 20:19:59 PM UTC", _utc(2021, 6, 22, 20, 19, 59)),
        ("September 30, 2023 at 04:22:17 AM UTC", _utc(2023, 9, 30, 4, 22, 17)),
    ],
)
def test_am_pm_glued_onto_24_hour_time_keeps_the_24_hour_reading(
    raw: str, expected: datetime
) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("April 15, 2026 at 3:30:00 p.m. UTC", _utc(2026, 4, 15, 15, 30, 0)),
        ("April 15, 2026 at 3:30 PM", _utc(2026, 4, 15, 15, 30)),
        ("April 15, 2026 at 3 pm UTC", _utc(2026, 4, 15, 15, 0)),
        ("April 15, 2026 at 12:30 PM UTC", _utc(2026, 4, 15, 12, 30)),
        ("April 15, 2026 at 12:00:00 AM UTC", _utc(2026, 4, 15, 0, 0)),
        ("April 15, 2026 at 9:05 a.m. UTC", _utc(2026, 4, 15, 9, 5)),
    ],
)
def test_twelve_hour_clock_times_are_converted_to_24_hour(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("June 15, 2023 at 23:49:05", _utc(2023, 6, 15, 23, 49, 5)),
        ("March 27, 2015 at 23:59:47", _utc(2015, 3, 27, 23, 59, 47)),
        ("March 05, 2025 at 05:10:48", _utc(2025, 3, 5, 5, 10, 48)),
    ],
)
def test_timestamp_without_utc_suffix_is_read_as_utc(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("July 06, 2023 14:25:05 UTC", _utc(2023, 7, 6, 14, 25, 5)),
        ("March 01, 2023, at 17:24:39 UTC", _utc(2023, 3, 1, 17, 24, 39)),
        ("May 26, 2017, at 16:35:48 UTC", _utc(2017, 5, 26, 16, 35, 48)),
        ("May 31, 2024 at12:48:30 UTC", _utc(2024, 5, 31, 12, 48, 30)),
    ],
)
def test_missing_comma_glued_or_absent_at_is_accepted(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("April 26,2023 18:10:04 UTC", _utc(2023, 4, 26, 18, 10, 4)),
        ("May 19,2022 06:48:41 UTC", _utc(2022, 5, 19, 6, 48, 41)),
        ("February 02 2022 at 14:16:27 UTC", _utc(2022, 2, 2, 14, 16, 27)),
        ("May 26 2025 at 12:28:38 UTC", _utc(2025, 5, 26, 12, 28, 38)),
    ],
)
def test_missing_or_glued_comma_between_day_and_year_is_accepted(
    raw: str, expected: datetime
) -> None:
    assert parse_ircc_timestamp(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("January 23, 2025 at 2025-01-23 15:30:04 UTC", _utc(2025, 1, 23, 15, 30, 4)),
        ("August 15, 2024 at 2024-08-15 15:11:54 UTC", _utc(2024, 8, 15, 15, 11, 54)),
    ],
)
def test_iso_date_repeated_inside_the_timestamp_is_accepted(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


def test_iso_date_contradicting_the_long_form_date_is_unparseable() -> None:
    assert parse_ircc_timestamp("January 23, 2025 at 2025-01-24 15:30:04 UTC") is None


def test_missing_year_is_taken_from_the_draw_date() -> None:
    parsed = parse_ircc_timestamp("October 7 at 16:38:21 UTC", draw_date=date(2021, 10, 27))

    assert parsed == _utc(2021, 10, 7, 16, 38, 21)


@pytest.mark.parametrize(
    ("raw", "draw_date", "expected"),
    [
        ("October 7 at 16:38:21 UTC", date(2026, 4, 15), _utc(2025, 10, 7, 16, 38, 21)),
        ("December 28 at 10:00 UTC", date(2022, 1, 5), _utc(2021, 12, 28, 10, 0)),
    ],
)
def test_missing_year_that_would_put_a_tie_break_after_its_round_uses_the_previous_year(
    raw: str, draw_date: date, expected: datetime
) -> None:
    assert parse_ircc_timestamp(raw, draw_date=draw_date) == expected


def test_missing_year_within_a_month_after_the_draw_date_keeps_the_draw_year() -> None:
    parsed = parse_ircc_timestamp("January 20 at 10:00 UTC", draw_date=date(2026, 1, 5))

    assert parsed == _utc(2026, 1, 20, 10, 0)


def test_missing_year_without_a_draw_date_is_unparseable() -> None:
    assert parse_ircc_timestamp("October 7 at 16:38:21 UTC") is None


@pytest.mark.parametrize(
    ("raw", "inferred"),
    [
        ("October 7 at 16:38:21 UTC", True),
        ("October 8, 2019 at 10:46:01 UTC", False),
        ("January 23, 2025 at 2025-01-23 15:30:04 UTC", False),
        ("", False),
        ("TBD", False),
    ],
)
def test_year_was_inferred_only_when_a_parseable_value_has_no_year(
    raw: str, inferred: bool
) -> None:
    assert year_was_inferred(raw) is inferred


@pytest.mark.parametrize(
    "raw",
    [
        "April 15th, 2026 at 10:43:11 UTC",
        "Apr. 15, 2026 at 10:43:11 UTC",
        "Apr 15 2026 at 10:43:11 UTC",
        "APRIL 15, 2026 AT 10:43:11 UTC",
        "April 15, 2026 at 10:43:11 GMT",
        "April 15, 2026 at 10:43:11 UTC+0",
        "April 15, 2026 at 10:43:11Z",
        "April 15, 2026 at 10:43:11UTC",
        "Wednesday, April 15, 2026 at 10:43:11 UTC",
        "April 15, 2026 at 10:43:11 UTC.",
        "April\u00a015,\u00a02026 at\u00a010:43:11\u00a0UTC",
        "2026-04-15T10:43:11Z",
        "2026-04-15 10:43:11",
        "2026-04-15T10:43:11.250+00:00",
        "15 April 2026 at 10:43:11 UTC",
        "le 15 avril 2026 à 10 h 43 min 11 s UTC",
        "15 avril 2026 à 10:43:11 UTC",
        "mercredi 15 avril 2026 à 10 h 43 min 11 s",
    ],
)
def test_unseen_spellings_of_the_same_moment_all_parse(raw: str) -> None:
    assert parse_ircc_timestamp(raw) == _utc(2026, 4, 15, 10, 43, 11)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("May 1st, 2024 at 10:43 UTC", _utc(2024, 5, 1, 10, 43)),
        ("May 2nd, 2024 at 10:43 UTC", _utc(2024, 5, 2, 10, 43)),
        ("May 3rd, 2024 at 10:43 UTC", _utc(2024, 5, 3, 10, 43)),
        ("May 22nd, 2024 at 10:43 UTC", _utc(2024, 5, 22, 10, 43)),
        ("Sept. 5, 2025 at 10:43 UTC", _utc(2025, 9, 5, 10, 43)),
        ("Jan 3 2024 at 10:43 UTC", _utc(2024, 1, 3, 10, 43)),
        ("le 1er août 2025 à 10:43 UTC", _utc(2025, 8, 1, 10, 43)),
        ("le 3 février 2026 à 10 h 43", _utc(2026, 2, 3, 10, 43)),
        ("le 7 décembre 2025 à 10 h 43 min 11 s", _utc(2025, 12, 7, 10, 43, 11)),
    ],
)
def test_ordinals_abbreviations_and_french_months_are_read(raw: str, expected: datetime) -> None:
    assert parse_ircc_timestamp(raw) == expected


def test_explicit_utc_offset_is_converted_to_utc() -> None:
    parsed = parse_ircc_timestamp("2026-04-15T06:43:11-04:00")

    assert parsed == _utc(2026, 4, 15, 10, 43, 11)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "TBD",
        "April 15, 2026",
        "April 15, 2026 at 25:43:11 UTC",
        "April 15, 2026 at 10:61 UTC",
        "February 30, 2026 at 10:43:11 UTC",
        "April 15, 2026 at 10:43:11 EDT",
        "April 15, 2026 at 10:43:11 UTC (06:43:11 EDT)",
        "Jui 5, 2026 at 10:43 UTC",
        "April 15, 2026 at 10:43:11 UTC+15",
        "April 15-16, 2026 at 10:43:11 UTC",
    ],
)
def test_invalid_or_garbage_timestamp_returns_none_without_raising(raw: str) -> None:
    assert parse_ircc_timestamp(raw, draw_date=date(2026, 4, 15)) is None


@pytest.mark.parametrize(
    "raw",
    [
        "December 7, 2025",
        "December 07, 2025",
        "Dec. 7 2025",
        "2025-12-07",
        "le 7 décembre 2025",
        "7 décembre 2025",
        " December 7, 2025 ",
    ],
)
def test_long_form_date_variants_parse_to_the_same_date(raw: str) -> None:
    assert parse_ircc_date(raw) == date(2025, 12, 7)


@pytest.mark.parametrize(
    "raw", ["", "TBD", "December 7", "February 30, 2025", "December 7, 2025 at 10:43 UTC"]
)
def test_unparseable_long_form_date_returns_none(raw: str) -> None:
    assert parse_ircc_date(raw) is None


def test_plausible_round_has_no_flags() -> None:
    flags = _flags(
        date(2025, 12, 11), "December 11, 2025 at 11:51:44 UTC", "November 26, 2025 at 07:44:30 UTC"
    )

    assert flags == []


def test_empty_tie_break_of_an_early_round_is_not_flagged() -> None:
    assert _flags(date(2015, 1, 31), "January 31, 2015 at 11:59:48 UTC", "") == []


def test_tie_break_after_its_run_is_flagged() -> None:
    flags = _flags(
        date(2025, 12, 11), "December 11, 2025 at 11:51:44 UTC", "December 11, 2025 at 12:00:00 UTC"
    )

    assert flags == ["tie_break_after_run"]


def test_tie_break_after_the_draw_date_is_flagged_when_the_run_is_missing() -> None:
    flags = _flags(date(2025, 12, 11), "", "December 12, 2025 at 01:00:00 UTC")

    assert flags == ["run_at_missing", "tie_break_after_run"]


def test_run_date_days_away_from_the_draw_date_is_flagged() -> None:
    flags = _flags(
        date(2025, 7, 22), "July 12, 2025 at 16:27:45 UTC", "March 13, 2025 at 13:08:29 UTC"
    )

    assert flags == ["run_at_far_from_draw_date"]


def test_run_one_day_from_the_draw_date_is_not_flagged() -> None:
    assert _flags(date(2026, 4, 15), "April 16, 2026 at 00:30:00 UTC", "") == []


@pytest.mark.parametrize(
    ("run_at_raw", "tie_break_at_raw", "expected"),
    [
        ("TBD", "November 26, 2025 at 07:44:30 UTC", ["run_at_unparsed"]),
        ("   ", "November 26, 2025 at 07:44:30 UTC", ["run_at_missing"]),
        ("December 11, 2025 at 11:51:44 UTC", "see notes", ["tie_break_unparsed"]),
        ("TBD", "see notes", ["run_at_unparsed", "tie_break_unparsed"]),
    ],
)
def test_missing_or_unparseable_timestamps_are_flagged(
    run_at_raw: str, tie_break_at_raw: str, expected: list[str]
) -> None:
    assert _flags(date(2025, 12, 11), run_at_raw, tie_break_at_raw) == expected


def test_flags_are_sorted() -> None:
    flags = _flags(date(2025, 7, 22), "July 12, 2025 at 16:27:45 UTC", "not a date")

    assert flags == ["run_at_far_from_draw_date", "tie_break_unparsed"]
