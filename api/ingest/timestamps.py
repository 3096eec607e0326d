"""Parsing of IRCC's hand-typed round timestamps (drawDateTime, drawCutOff) and long-form dates.

IRCC types these strings by hand, so no fixed format holds: the parser normalises the text, pulls
out one clock time, then reads month, day and year from whatever words and numbers are left.
Anything it does not recognise makes the whole value unparseable rather than silently wrong.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

RUN_AT_UNPARSED: Final = "run_at_unparsed"
RUN_AT_MISSING: Final = "run_at_missing"
RUN_AT_FAR_FROM_DRAW_DATE: Final = "run_at_far_from_draw_date"
TIE_BREAK_UNPARSED: Final = "tie_break_unparsed"
TIE_BREAK_AFTER_RUN: Final = "tie_break_after_run"

# A year-less tie-break that lands this far after its round must belong to the previous year.
_YEAR_ROLLBACK_AFTER: Final = timedelta(days=31)
_MAX_RUN_DRIFT_DAYS: Final = 1

_MONTH_NAMES: Final[dict[str, int]] = {
    "january": 1, "janvier": 1,
    "february": 2, "fevrier": 2,
    "march": 3, "mars": 3,
    "april": 4, "avril": 4,
    "may": 5, "mai": 5,
    "june": 6, "juin": 6,
    "july": 7, "juillet": 7,
    "august": 8, "aout": 8,
    "september": 9, "septembre": 9,
    "october": 10, "octobre": 10,
    "november": 11, "novembre": 11,
    "december": 12, "decembre": 12,
}  # fmt: skip

_WEEKDAYS: Final = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
})  # fmt: skip

# Connectors seen around IRCC dates ("at", French "le"/"à") and zone words away from the clock.
_FILLER: Final = frozenset({"at", "on", "the", "of", "le", "a", "de", "du", "utc", "gmt", "z"})

_ZONE_TAIL: Final = (
    r" ?(?P<zone>utc|gmt|z)?(?![a-z])"
    r"(?: ?(?P<sign>[+-]) ?(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?(?!\d))?"
)
_MERIDIEM: Final = r"(?P<ap>[ap])\.? ?m\b\.?"
_CLOCK: Final = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2}) ?: ?(?P<m>\d{2})(?: ?: ?(?P<s>\d{2})(?:\.\d+)?)?(?!\d)"
    rf"(?: ?{_MERIDIEM})?{_ZONE_TAIL}"
)
_BARE_HOUR: Final = re.compile(rf"(?<![\d:])(?P<h>\d{{1,2}}) ?{_MERIDIEM}{_ZONE_TAIL}")
_FRENCH_CLOCK: Final = re.compile(
    r"(?<!\d)(\d{1,2}) ?h ?(\d{2})(?: ?min ?(\d{2})(?: ?s\b)?| ?min\b)?"
)
_ISO_DATE: Final = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_ORDINAL: Final = re.compile(r"(?<=\d)(?:st|nd|rd|th|er)\b")
_TOKEN: Final = re.compile(r"[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class _Clock:
    hour: int
    minute: int
    second: int
    offset: timedelta


@dataclass(frozen=True, slots=True)
class _Day:
    year: int | None
    month: int
    day: int


def parse_ircc_timestamp(raw: str, *, draw_date: date | None = None) -> datetime | None:
    """Parse a hand-typed IRCC timestamp (drawDateTime / drawCutOff) into an aware UTC datetime.

    A value without a year takes it from ``draw_date`` (the previous year when that would put it
    more than a month after the round). Returns None when the value cannot be parsed, including
    the empty string and a value with no clock time.
    """
    parsed = _parse(raw)
    if parsed is None:
        return None
    day, clock = parsed
    year = day.year if day.year is not None else _infer_year(day, draw_date)
    if year is None:
        return None
    try:
        stamp = datetime(
            year, day.month, day.day, clock.hour, clock.minute, clock.second,
            tzinfo=timezone(clock.offset),
        )  # fmt: skip
        return stamp.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_ircc_date(raw: str) -> date | None:
    """Parse a long-form date such as drawDistributionAsOn or drawDateFull; None if unparseable.

    Accepts e.g. 'December 7, 2025', 'December 07, 2025', 'Dec. 7 2025', '2025-12-07',
    'le 7 décembre 2025' and '7 décembre 2025'. The year is required.
    """
    day = _parse_day(_normalise(raw))
    if day is None or day.year is None:
        return None
    try:
        return date(day.year, day.month, day.day)
    except ValueError:
        return None


def year_was_inferred(raw: str) -> bool:
    """True when the value has no 4-digit year, so parse_ircc_timestamp took it from draw_date."""
    parsed = _parse(raw)
    return parsed is not None and parsed[0].year is None


def timestamp_flags(
    *,
    draw_date: date,
    run_at: datetime | None,
    run_at_raw: str,
    tie_break_at: datetime | None,
    tie_break_at_raw: str,
) -> list[str]:
    """Plausibility flags for a round's parsed timestamps, as sorted snake_case strings.

    'run_at_missing' / 'run_at_unparsed': drawDateTime empty / not parseable.
    'run_at_far_from_draw_date': the run's UTC date is more than a day from drawDate.
    'tie_break_unparsed': drawCutOff non-empty but not parseable (empty is normal: early rounds).
    'tie_break_after_run': the tie-break is later than the run (or than drawDate, without a run).
    """
    flags: list[str] = []
    if run_at is None:
        flags.append(RUN_AT_UNPARSED if run_at_raw.strip() else RUN_AT_MISSING)
    elif abs((run_at.astimezone(UTC).date() - draw_date).days) > _MAX_RUN_DRIFT_DAYS:
        flags.append(RUN_AT_FAR_FROM_DRAW_DATE)
    if tie_break_at is None:
        if tie_break_at_raw.strip():
            flags.append(TIE_BREAK_UNPARSED)
    elif _tie_break_is_after_run(tie_break_at, run_at, draw_date):
        flags.append(TIE_BREAK_AFTER_RUN)
    return sorted(flags)


def _tie_break_is_after_run(tie_break_at: datetime, run_at: datetime | None, draw: date) -> bool:
    if run_at is not None:
        return tie_break_at > run_at
    return tie_break_at.astimezone(UTC).date() > draw


def _parse(raw: str) -> tuple[_Day, _Clock] | None:
    text = _normalise(raw)
    found = _find_clock(text)
    if found is None:
        return None
    clock, rest = found
    day = _parse_day(rest)
    return None if day is None else (day, clock)


def _normalise(raw: str) -> str:
    # NFKD folds NBSP and other odd spaces into plain ones and splits accents off French months.
    text = unicodedata.normalize("NFKD", raw)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = " ".join(text.split())
    text = _ORDINAL.sub("", text)
    text = re.sub(r"(?<=\d)t(?=\d)", " ", text)  # ISO 8601 'T' between date and time
    return _FRENCH_CLOCK.sub(_french_clock_to_colons, text)


def _french_clock_to_colons(match: re.Match[str]) -> str:
    hour, minute, second = match.groups()
    return f"{hour}:{minute}" + (f":{second}" if second else "")


def _find_clock(text: str) -> tuple[_Clock, str] | None:
    matches = list(_CLOCK.finditer(text)) or list(_BARE_HOUR.finditer(text))
    if len(matches) != 1:
        return None
    match = matches[0]
    offset = _offset(match)
    if offset is None:
        return None
    groups = match.groupdict()
    clock = _Clock(
        hour=_apply_meridiem(int(groups["h"]), groups["ap"]),
        minute=int(groups.get("m") or 0),
        second=int(groups.get("s") or 0),
        offset=offset,
    )
    return clock, f"{text[: match.start()]} {text[match.end() :]}"


def _apply_meridiem(hour: int, meridiem: str | None) -> int:
    # IRCC glues AM/PM onto 24-hour times ('15:48:39 AM', '20:19:59 PM'): the digits win.
    if meridiem is None or hour == 0 or hour > 12:
        return hour
    if meridiem == "a":
        return 0 if hour == 12 else hour
    return hour if hour == 12 else hour + 12


def _offset(match: re.Match[str]) -> timedelta | None:
    sign, hours, minutes = match.group("sign", "oh", "om")
    if sign is None:
        return timedelta(0)
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14) or int(minutes or 0) >= 60:
        return None
    return -delta if sign == "-" else delta


def _parse_day(text: str) -> _Day | None:
    iso = _ISO_DATE.search(text)
    if iso is not None:
        text = f"{text[: iso.start()]} {text[iso.end() :]}"
    words = _read_words(text)
    if words is None:
        return None
    if iso is None:
        return words if words.month and words.day else None
    return _reconcile(_Day(int(iso[1]), int(iso[2]), int(iso[3])), words)


def _reconcile(iso: _Day, words: _Day) -> _Day | None:
    # 'January 23, 2025 at 2025-01-23 ...': both forms present; they must agree.
    if words == _Day(None, 0, 0):
        return iso
    if (words.month, words.day) != (iso.month, iso.day) or words.year not in (None, iso.year):
        return None
    return iso


def _read_words(text: str) -> _Day | None:
    # 0 marks a month or day that is not there.
    year: int | None = None
    month = day = 0
    for token in _TOKEN.findall(text):
        if len(token) == 4 and token.isdigit() and year is None:
            year = int(token)
        elif len(token) <= 2 and token.isdigit() and not day and int(token):
            day = int(token)
        elif (found := _month(token)) is not None and month in (0, found):
            month = found
        elif token not in _FILLER and token not in _WEEKDAYS:
            return None
    return _Day(year, month, day)


def _month(token: str) -> int | None:
    if token in _MONTH_NAMES:
        return _MONTH_NAMES[token]
    if len(token) < 3:
        return None
    # Abbreviations ('sept', 'dec', 'févr') count only when they name a single month.
    months = {number for name, number in _MONTH_NAMES.items() if name.startswith(token)}
    return months.pop() if len(months) == 1 else None


def _infer_year(day: _Day, draw_date: date | None) -> int | None:
    if draw_date is None:
        return None
    year = draw_date.year
    try:
        candidate = date(year, day.month, day.day)
    except ValueError:
        return None
    # A tie-break precedes its round: 'December 28' typed for a January round is last year's.
    return year - 1 if candidate - draw_date > _YEAR_ROLLBACK_AFTER else year
