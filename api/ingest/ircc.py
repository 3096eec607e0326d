"""IRCC's rounds file -> validated, normalised rounds and pool snapshots. Pure: no I/O.

The file is ``{"classes": ..., "rounds": [...]}``, every value a string (see docs/ircc-file.md).
Anything that would put a wrong number in the store refuses the whole file with an
``IngestError``; anything merely odd (a hand-typed timestamp, a subtotal that does not add up)
is stored as published and flagged.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import msgspec

from api.ingest.categories import CategoryName, classify_draw_name
from api.ingest.timestamps import (
    parse_ircc_date,
    parse_ircc_timestamp,
    timestamp_flags,
    year_was_inferred,
)

DISTRIBUTION_KEYS = tuple(f"dd{i}" for i in range(1, 19))
REQUIRED_KEYS = frozenset(
    {
        "drawNumber",
        "drawDate",
        "drawName",
        "drawSize",
        "drawCRS",
        "drawText2",
        "drawDateTime",
        "drawCutOff",
        "drawDistributionAsOn",
        *DISTRIBUTION_KEYS,
    }
)

# Where each published key is served in the API (a round's revisions name both): dd1..dd17 are
# the candidates of the pool snapshot's band 1..17, dd18 its total.
API_FIELDS: dict[str, str] = {
    "drawNumber": "number",
    "drawDate": "date",
    "drawName": "name",
    "drawSize": "invitations",
    "drawCRS": "crs_min",
    "drawText2": "programs",
    "drawDateTime": "run_at",
    "drawCutOff": "tie_break_at",
    "drawDistributionAsOn": "pool_snapshot_date",
    **{f"dd{i}": f"pool_snapshot.bands[{i}].candidates" for i in range(1, 18)},
    "dd18": "pool_snapshot.total",
}

# CRS range of dd1..dd17 (the file has no legend; canada.ca's table gives it). dd18 is the total.
BANDS: tuple[tuple[int, int, bool], ...] = (
    (601, 1200, False),
    (501, 600, False),
    (451, 500, True),
    (491, 500, False),
    (481, 490, False),
    (471, 480, False),
    (461, 470, False),
    (451, 460, False),
    (401, 450, True),
    (441, 450, False),
    (431, 440, False),
    (421, 430, False),
    (411, 420, False),
    (401, 410, False),
    (351, 400, False),
    (301, 350, False),
    (0, 300, False),
)

_DRAW_NUMBER = re.compile(r"^(\d{1,6})([a-z]?)$")
# Thousands separators: comma (English), space / no-break spaces (French).
_COUNT = re.compile(r"^\d{1,3}(?:[,\s\u00a0\u202f]\d{3})+$|^\d+$")
_HTML = re.compile(rb"^\s*<(?:!doctype|html|head|body)", re.IGNORECASE)
MAX_FILE_BYTES = 50 * 1024 * 1024


class IngestError(ValueError):
    """The source is not a rounds file eedraws can trust; nothing was stored."""


class ParsedRound(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    seq: int
    draw_date: date
    name: str
    category: CategoryName
    invitations: int
    crs_min: int
    programs: str
    run_at: datetime | None
    run_at_raw: str
    tie_break_at: datetime | None
    tie_break_at_raw: str
    distribution_date: date | None
    # dd1..dd18 as published, or None when IRCC published no distribution (all zeros).
    distribution: tuple[int, ...] | None
    flags: tuple[str, ...]
    published: dict[str, str]


class ParsedSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    snapshot_date: date
    bands: tuple[int, ...]  # dd1..dd17
    total: int
    source_draw: str
    flags: tuple[str, ...]


class ParsedFile(msgspec.Struct, frozen=True, kw_only=True):
    rounds: tuple[ParsedRound, ...]
    snapshots: tuple[ParsedSnapshot, ...]


def parse_rounds_file(data: bytes) -> ParsedFile:
    """Validate and normalise a whole rounds file; ``IngestError`` on anything untrustworthy."""
    rounds_json = _rounds_array(data)
    rounds = tuple(_parse_round(i, raw) for i, raw in enumerate(rounds_json))
    seen: dict[str, int] = {}
    for r in rounds:
        if r.number in seen:
            raise IngestError(f"round {r.number} appears twice in the file")
        seen[r.number] = r.seq
    return ParsedFile(rounds=rounds, snapshots=_snapshots(rounds))


def _rounds_array(data: bytes) -> list[Any]:
    if not data.strip():
        raise IngestError("the source is empty")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"the source is {len(data)} bytes, over the {MAX_FILE_BYTES} limit")
    if _HTML.match(data.lstrip(b"\xef\xbb\xbf")):
        raise IngestError("the source is an HTML page, not IRCC's rounds JSON")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # The French file has been served as cp1252.
        text = data.decode("cp1252", errors="strict")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"the source is not JSON: {exc}") from None
    if not isinstance(doc, dict) or "rounds" not in doc:
        raise IngestError('the source is JSON but has no "rounds" array')
    rounds = doc["rounds"]
    if not isinstance(rounds, list) or not rounds:
        raise IngestError('"rounds" is not a non-empty array')
    return rounds


def _parse_round(index: int, raw: Any) -> ParsedRound:
    where = f"round #{index + 1} in the file"
    if not isinstance(raw, dict):
        raise IngestError(f"{where} is not an object")
    if isinstance(raw.get("drawNumber"), str):
        where = f"round {raw['drawNumber'].strip()!r}"
    missing = sorted(REQUIRED_KEYS - raw.keys())
    if missing:
        raise IngestError(f"{where} is missing keys: {', '.join(missing)}")
    published = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
    number, seq = _draw_number(where, published["drawNumber"])
    draw_date = _draw_date(where, published)
    run_at_raw = published["drawDateTime"]
    tie_raw = published["drawCutOff"]
    run_at = parse_ircc_timestamp(run_at_raw, draw_date=draw_date)
    tie_break_at = parse_ircc_timestamp(tie_raw, draw_date=draw_date)
    flags = timestamp_flags(
        draw_date=draw_date,
        run_at=run_at,
        run_at_raw=run_at_raw,
        tie_break_at=tie_break_at,
        tie_break_at_raw=tie_raw,
    )
    if tie_break_at is not None and year_was_inferred(tie_raw):
        flags.append("tie_break_year_inferred")
    if run_at is not None and year_was_inferred(run_at_raw):
        flags.append("run_at_year_inferred")
    distribution, distribution_date, dist_flags = _distribution(published)
    return ParsedRound(
        number=number,
        seq=seq,
        draw_date=draw_date,
        name=" ".join(published["drawName"].split()),
        category=classify_draw_name(published["drawName"]),
        invitations=_count(where, "drawSize", published["drawSize"]),
        crs_min=_count(where, "drawCRS", published["drawCRS"]),
        programs=" ".join(published["drawText2"].split()),
        run_at=run_at,
        run_at_raw=run_at_raw,
        tie_break_at=tie_break_at,
        tie_break_at_raw=tie_raw,
        distribution_date=distribution_date,
        distribution=distribution,
        flags=tuple(sorted({*flags, *dist_flags})),
        published=published,
    )


def _draw_number(where: str, raw: str) -> tuple[str, int]:
    match = _DRAW_NUMBER.match(raw.strip().lower())
    if not match:
        raise IngestError(f"{where}: drawNumber {raw!r} is not a round number")
    digits, letter = match.groups()
    return f"{int(digits)}{letter}", int(digits) * 100 + (ord(letter) - 96 if letter else 0)


def _draw_date(where: str, published: dict[str, str]) -> date:
    raw = published["drawDate"].strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    # drawDate has always been ISO; if IRCC ever hand-types it, the long form is the fallback.
    parsed = parse_ircc_date(raw) or parse_ircc_date(published.get("drawDateFull", ""))
    if parsed is None:
        raise IngestError(f"{where}: drawDate {raw!r} is not a date")
    return parsed


def parse_count(raw: str) -> int | None:
    """'1,000', '1 000', '476' -> int; None when it is not a plain count."""
    text = raw.strip()
    if not _COUNT.match(text):
        return None
    return int(re.sub(r"[,\s\u00a0\u202f]", "", text))


def _count(where: str, key: str, raw: str) -> int:
    value = parse_count(raw)
    if value is None:
        raise IngestError(f"{where}: {key} {raw!r} is not a number")
    return value


def _distribution(
    published: dict[str, str],
) -> tuple[tuple[int, ...] | None, date | None, list[str]]:
    values: list[int] = []
    for key in DISTRIBUTION_KEYS:
        raw = published[key]
        # An empty cell is how IRCC leaves a band out; a non-number is a typo we won't guess at.
        value = 0 if not raw.strip() else parse_count(raw)
        if value is None:
            return None, None, ["distribution_unparsed"]
        values.append(value)
    if not any(values):
        return None, None, []
    snapshot_date = parse_ircc_date(published["drawDistributionAsOn"])
    if snapshot_date is None:
        return None, None, ["distribution_date_unparsed"]
    return tuple(values), snapshot_date, distribution_check(values)


def distribution_check(dd: list[int] | tuple[int, ...]) -> list[str]:
    """Flags for dd1..dd18 whose published subtotals or total do not add up."""
    flags = []
    if dd[2] != sum(dd[3:8]):
        flags.append("subtotal_451_500_mismatch")
    if dd[8] != sum(dd[9:14]):
        flags.append("subtotal_401_450_mismatch")
    if dd[17] != dd[0] + dd[1] + dd[2] + dd[8] + dd[14] + dd[15] + dd[16]:
        flags.append("total_mismatch")
    return flags


def _snapshots(rounds: tuple[ParsedRound, ...]) -> tuple[ParsedSnapshot, ...]:
    by_date: dict[date, list[ParsedRound]] = {}
    for r in rounds:
        if r.distribution is not None and r.distribution_date is not None:
            by_date.setdefault(r.distribution_date, []).append(r)
    snapshots = []
    for snapshot_date, publishers in sorted(by_date.items()):
        # Rounds sharing a snapshot date should publish the same numbers; the newest round wins.
        newest = max(publishers, key=lambda r: r.seq)
        assert newest.distribution is not None
        flags = distribution_check(newest.distribution)
        if any(r.distribution != newest.distribution for r in publishers):
            flags.append("publications_disagree")
        snapshots.append(
            ParsedSnapshot(
                snapshot_date=snapshot_date,
                bands=newest.distribution[:17],
                total=newest.distribution[17],
                source_draw=newest.number,
                flags=tuple(flags),
            )
        )
    return tuple(snapshots)
