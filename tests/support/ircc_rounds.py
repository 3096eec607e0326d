"""IRCC rounds files read with plain Python, for computing expected figures in tests.

Nothing here uses the app: the JSON is parsed here, category lines come from a keyword table
written for the tests, and every figure a test expects is computed from these records.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _shared_data() -> Path:
    """``../shared/data/ircc`` beside the checkout; from a worktree, the nearest ancestor's."""
    repo = Path(__file__).resolve().parents[2]
    for parent in repo.parents:
        candidate = parent / "shared" / "data" / "ircc"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "data" / "ircc"


SHARED_DATA = _shared_data()
OFFICIAL = SHARED_DATA / "ee_rounds_123_en.2026-04-21.json"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Lower-cased start of a published round name -> its category line's slug.
_LINES = (
    ("agriculture", "agriculture"),
    ("canadian experience class", "cec"),
    ("education", "education"),
    ("federal skilled trades", "fst"),
    ("federal skilled worker", "fsw"),
    ("french", "french-language-proficiency"),
    ("general", "general"),
    ("no program specified", "general"),
    ("healthcare", "healthcare"),
    ("physicians", "physicians-with-canadian-work-experience"),
    ("provincial nominee", "pnp"),
    ("stem", "stem"),
    ("senior managers", "senior-managers-with-canadian-work-experience"),
    ("trade occupations", "trades"),
    ("trades occupations", "trades"),
    ("transport", "transport"),
)
# dd1..dd17: (crs_lo, crs_hi, is_subtotal), from canada.ca's table (the file has no legend).
BANDS = (
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


def line_of(name: str) -> str:
    lowered = " ".join(name.lower().split())
    for start, slug in _LINES:
        if lowered.startswith(start):
            return slug
    raise AssertionError(f"no category line in the test table for {name!r}")


def number_key(number: str) -> tuple[int, str]:
    match = re.fullmatch(r"(\d+)([a-z]?)", number)
    assert match, number
    return int(match.group(1)), match.group(2)


def _count(raw: str) -> int:
    return int(raw.replace(",", "").strip() or "0")


@dataclass(frozen=True)
class Round:
    number: str
    date: date
    line: str
    crs: int
    invitations: int
    snapshot_date: date | None
    dd: tuple[int, ...]  # dd1..dd18

    @property
    def order(self) -> tuple[date, tuple[int, str]]:
        """Rounds are ordered by date, then by number on one date (91a before 91b)."""
        return self.date, number_key(self.number)


def _snapshot_date(raw: str) -> date | None:
    text = raw.strip()
    return datetime.strptime(text, "%B %d, %Y").date() if text else None


def load(path: Path) -> list[Round]:
    """Every round of a rounds file, oldest first."""
    doc: dict[str, Any] = json.loads(path.read_bytes().decode("utf-8-sig"))
    found = []
    for r in doc["rounds"]:
        dd = tuple(_count(r[f"dd{i}"]) for i in range(1, 19))
        found.append(
            Round(
                number=r["drawNumber"].strip(),
                date=date.fromisoformat(r["drawDate"].strip()),
                line=line_of(r["drawName"]),
                crs=_count(r["drawCRS"]),
                invitations=_count(r["drawSize"]),
                snapshot_date=_snapshot_date(r["drawDistributionAsOn"]) if any(dd) else None,
                dd=dd,
            )
        )
    return sorted(found, key=lambda x: x.order)


def snapshots(rounds: list[Round]) -> dict[date, tuple[int, ...]]:
    """dd1..dd18 per snapshot date; when rounds share a date the newest round's numbers."""
    found: dict[date, tuple[int, ...]] = {}
    for r in rounds:  # oldest first, so the newest round's numbers are kept
        if r.snapshot_date is not None:
            found[r.snapshot_date] = r.dd
    return found
