"""IRCC's real rounds files, ingested in the order IRCC published them, checked over HTTP.

Every expected number is computed here from the files themselves, independently of the
ingester: per-year counts and invitation totals, per-published-name counts, which rounds IRCC
edited between the two copies.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.db import SHARED_DATA

OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"
NEWER = SHARED_DATA / "ee_rounds_123_en.2026-04-21.json"
LINK_KEYS = {"drawNumberURL", "mitext", "DrawText1"}

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(
        not NEWER.exists() or not OLDER.exists(),
        reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA}); "
        "acceptance tests need ../shared/data/ircc",
    ),
]


def rounds(path: Path) -> list[dict[str, str]]:
    doc: dict[str, Any] = json.loads(path.read_bytes().decode("utf-8-sig"))
    return list(doc["rounds"])


def count(raw: str) -> int:
    return int(raw.replace(",", "").strip())


async def all_draws(client: AsyncTestClient[Litestar]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = "/v1/draws?limit=100"
    while url:
        page = await client.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        found.extend(body["data"])
        url = f"/v1/draws?limit=100&cursor={body['next_cursor']}" if body["next_cursor"] else None
    return found


@pytest.fixture
def client(client_official: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    return client_official


async def test_every_round_of_both_files_is_served_and_none_was_deleted(
    client: AsyncTestClient[Litestar],
) -> None:
    served = await all_draws(client)
    numbers = [d["number"] for d in served]
    assert len(numbers) == len(set(numbers))
    expected = {r["drawNumber"].strip() for r in rounds(OLDER) + rounds(NEWER)}
    assert set(numbers) == expected
    assert {"91a", "91b"} <= set(numbers)


async def test_per_year_counts_and_invitations_equal_the_files(
    client: AsyncTestClient[Litestar],
) -> None:
    draws: Counter[int] = Counter()
    invitations: Counter[int] = Counter()
    crs: dict[int, list[int]] = {}
    for r in rounds(NEWER):
        year = int(r["drawDate"][:4])
        draws[year] += 1
        invitations[year] += count(r["drawSize"])
        crs.setdefault(year, []).append(count(r["drawCRS"]))
    served = (await client.get("/v1/stats/yearly")).json()
    assert {s["year"]: s["draws"] for s in served} == dict(draws)
    assert {s["year"]: s["invitations"] for s in served} == dict(invitations)
    assert {s["year"]: (s["crs_min"], s["crs_max"]) for s in served} == {
        y: (min(v), max(v)) for y, v in crs.items()
    }


async def test_per_category_counts_by_published_name_equal_the_file(
    client: AsyncTestClient[Litestar],
) -> None:
    by_name = Counter(" ".join(r["drawName"].split()) for r in rounds(NEWER))
    served: Counter[str] = Counter()
    categories = (await client.get("/v1/categories")).json()
    for category in categories:
        for version in category["versions"]:
            # A version groups the names it was published under; each name has its own rounds.
            for name in version["names"]:
                served[name] += sum(
                    1 for r in rounds(NEWER) if " ".join(r["drawName"].split()) == name
                )
        assert category["draws"] == sum(v["draws"] for v in category["versions"])
    assert served == by_name
    yearly = (await client.get("/v1/stats/yearly?group_by=category")).json()
    assert sum(s["draws"] for s in yearly) == len(rounds(NEWER))
    assert sum(s["invitations"] for s in yearly) == sum(count(r["drawSize"]) for r in rounds(NEWER))


async def test_rounds_ircc_edited_between_the_copies_are_served_as_revisions(
    client: AsyncTestClient[Litestar],
) -> None:
    older = {r["drawNumber"]: r for r in rounds(OLDER)}
    edited = {
        r["drawNumber"]
        for r in rounds(NEWER)
        if r["drawNumber"] in older and r != older[r["drawNumber"]]
    }
    assert {"226", "262", "291"} <= edited
    for number in sorted(edited):
        revisions = (await client.get(f"/v1/draws/{number}/revisions")).json()
        assert len(revisions) == 1, number
        changed = set(revisions[0]["new_values"])
        assert changed == {k for k in older[number] if older[number][k] != _newer(number)[k]}
    untouched = next(n for n in older if n not in edited)
    assert (await client.get(f"/v1/draws/{untouched}/revisions")).json() == []


def _newer(number: str) -> dict[str, str]:
    return next(r for r in rounds(NEWER) if r["drawNumber"] == number)


async def test_the_latest_round_and_its_pool_match_the_newest_row_of_the_file(
    client: AsyncTestClient[Litestar],
) -> None:
    newest = max(rounds(NEWER), key=lambda r: (r["drawDate"], r["drawNumber"]))
    latest = (await client.get("/v1/draws/latest")).json()
    assert latest["number"] == newest["drawNumber"]
    assert latest["invitations"] == count(newest["drawSize"])
    assert latest["crs_min"] == count(newest["drawCRS"])
    pool = (await client.get(f"/v1/pool/{latest['pool_snapshot_date']}")).json()
    assert pool["total"] == count(newest["dd18"])
    assert [b["candidates"] for b in pool["bands"]] == [
        count(newest[f"dd{i}"]) for i in range(1, 18)
    ]
