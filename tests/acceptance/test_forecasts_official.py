"""Next-round estimates and their backtest on IRCC's real files (docs/forecasts.md).

Expected figures are computed here from the file with plain Python (tests/support/ircc_rounds),
never through the app: which rounds a line's current regime holds, the naive baseline's every
prediction and its error, the counts of rounds since a category's new version.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.cli import main
from tests.support import graphql
from tests.support.ircc_rounds import OFFICIAL, SHARED_DATA, Round, load

OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"
Client = AsyncTestClient[Litestar]
# As docs/forecasts.md states the method: a pause of over 183 days is a break, models are
# first fit on 3 rounds, and an estimate needs 3 + 19 rounds since the last break.
PAUSE_DAYS = 183
FIRST_FIT = 3
NEEDED = 22

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(
        not OFFICIAL.exists() or not OLDER.exists(),
        reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA})",
    ),
]


@pytest.fixture(scope="module")
def rounds() -> list[Round]:
    return load(OFFICIAL)


@pytest.fixture
def client(client_official: Client) -> Client:
    return client_official


def line(rounds: list[Round], slug: str) -> list[Round]:
    return [r for r in rounds if r.line == slug]


def since_last_pause(rounds: list[Round]) -> list[Round]:
    """A program line's rounds after its last pause of over PAUSE_DAYS (programs have no
    versions, and their pauses come after category-based rounds began)."""
    start = 0
    for i in range(1, len(rounds)):
        if (rounds[i].date - rounds[i - 1].date).days > PAUSE_DAYS:
            start = i
    return rounds[start:]


async def get_json(client: Client, url: str) -> Any:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def value(r: Round, target: str) -> int:
    return r.crs if target == "crs_min" else r.invitations


@pytest.mark.parametrize("slug", ["cec", "pnp"])
async def test_the_naive_baseline_of_the_backtest_is_the_files_last_value_before_each_round(
    rounds: list[Round], client: Client, slug: str
) -> None:
    used = since_last_pause(line(rounds, slug))
    (answer,) = await get_json(client, f"/v1/forecasts/next?category={slug}")
    assert answer["status"] == "estimate"
    assert answer["rounds"] == len(used) >= NEEDED
    assert (answer["first_round"]["number"], answer["last_round"]["number"]) == (
        used[0].number,
        used[-1].number,
    )
    assert answer["regime_breaks"][-1]["reason"] == "pause"
    backtest = await get_json(client, f"/v1/forecasts/backtest?category={slug}")
    position = {r.number: i for i, r in enumerate(used)}
    for target in ("crs_min", "invitations"):
        for h in (1, 2, 3):
            rows = [r for r in backtest["rows"] if (r["target"], r["horizon"]) == (target, h)]
            # One prediction per origin with h rounds after it, from the first fit on.
            origins = [used[i].number for i in range(FIRST_FIT - 1, len(used) - h)]
            assert [r["origin"] for r in rows] == origins
            errors = []
            for row in rows:
                known = used[position[row["origin"]]]
                predicted = used[position[row["origin"]] + h]
                assert row["round"] == predicted.number
                assert row["actual"] == value(predicted, target)
                assert row["naive"] == value(known, target)
                errors.append(value(predicted, target) - value(known, target))
            (score,) = [
                s
                for s in backtest["scores"]
                if (s["category"], s["target"], s["horizon"]) == (slug, target, h)
            ]
            assert score["n"] == len(rows)
            assert score["naive_mae"] == pytest.approx(
                sum(abs(e) for e in errors) / len(errors), abs=0.005
            )
            assert score["naive_rmse"] == pytest.approx(
                math.sqrt(sum(e * e for e in errors) / len(errors)), abs=0.005
            )


async def test_coverage_is_a_share_in_0_1_of_its_n_and_counts_the_rows(client: Client) -> None:
    backtest = await get_json(client, "/v1/forecasts/backtest")
    assert {s["category"] for s in backtest["scores"]} == {"cec", "pnp"}
    for s in backtest["scores"]:
        rows = [
            r
            for r in backtest["rows"]
            if (r["category"], r["target"], r["horizon"])
            == (s["category"], s["target"], s["horizon"])
        ]
        for level in (80, 95):
            bounded = [r for r in rows if r[f"lower_{level}"] is not None]
            held = [r for r in bounded if r[f"lower_{level}"] <= r["actual"] <= r[f"upper_{level}"]]
            assert (s[f"covered_{level}"], s[f"intervals_{level}"]) == (len(held), len(bounded))
            assert 0 < s[f"intervals_{level}"] <= s["n"]
            coverage = s[f"coverage_{level}"]
            assert 0 <= coverage <= 1
            assert coverage == pytest.approx(len(held) / len(bounded), abs=5e-5)


def nested(
    lower_95: float, lower_80: float, middle: float, upper_80: float, upper_95: float
) -> bool:
    return lower_95 <= lower_80 <= middle <= upper_80 <= upper_95


async def test_80_percent_intervals_lie_inside_95_percent_ones(client: Client) -> None:
    estimated = 0
    for answer in await get_json(client, "/v1/forecasts/next"):
        for target in ("crs_min", "invitations"):
            made = answer[target]
            if made is None:
                continue
            estimated += 1
            i80, i95 = made["interval_80"], made["interval_95"]
            assert nested(i95["lower"], i80["lower"], made["estimate"], i80["upper"], i95["upper"])
    assert estimated == 4
    rows = (await get_json(client, "/v1/forecasts/backtest"))["rows"]
    for r in rows:
        if r["lower_95"] is not None:
            assert nested(
                r["lower_95"], r["lower_80"], r["predicted"], r["upper_80"], r["upper_95"]
            )
        elif r["lower_80"] is not None:
            assert r["lower_80"] <= r["predicted"] <= r["upper_80"]


_VERSION = re.compile(r"Version (\d+)\s*\)?$|\(2023-(\d+)\)$", re.IGNORECASE)


def versions(path: Any, slug: str) -> list[tuple[str, int]]:
    """(round number, category version) of a line's rounds, oldest first, from the raw names."""
    doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    numbers = {r.number for r in line(load(path), slug)}
    found = []
    for r in reversed(doc["rounds"]):
        if r["drawNumber"].strip() in numbers:
            match = _VERSION.search(r["drawName"].strip())
            assert match, r["drawName"]
            found.append((r["drawNumber"].strip(), int(match.group(1) or match.group(2))))
    return found


@pytest.mark.parametrize("slug", ["healthcare", "french-language-proficiency", "trades"])
async def test_a_thin_category_answers_insufficient_history_with_its_count(
    client: Client, slug: str
) -> None:
    named = versions(OFFICIAL, slug)
    current = named[-1][1]
    since = []
    for number, version in reversed(named):
        if version != current:
            break
        since.insert(0, number)
    (answer,) = await get_json(client, f"/v1/forecasts/next?category={slug}")
    assert answer["status"] == "insufficient_history"
    assert (answer["rounds"], answer["rounds_needed"]) == (len(since), NEEDED)
    assert answer["first_round"]["number"] == since[0]
    assert answer["crs_min"] is None and answer["invitations"] is None
    assert answer["regime_breaks"][-1] == {
        "number": since[0],
        "date": answer["first_round"]["date"],
        "reason": "version",
        "description": f"version {current} of the category's list began",
    }
    assert f"{len(since)} round" in answer["message"]
    assert (await get_json(client, f"/v1/forecasts/backtest?category={slug}"))["rows"] == []


async def test_a_line_without_a_round_for_half_a_year_is_dormant(
    rounds: list[Round], client: Client
) -> None:
    general = line(rounds, "general")
    assert (rounds[-1].date - general[-1].date).days > PAUSE_DAYS
    (answer,) = await get_json(client, "/v1/forecasts/next?category=general")
    assert answer["status"] == "dormant"
    assert answer["last_round"]["number"] == general[-1].number
    assert answer["crs_min"] is None
    # General rounds changed when category-based rounds began (the first one, healthcare's).
    first_category_round = min((r for r in rounds if r.line == "healthcare"), key=lambda r: r.order)
    assert answer["regime_breaks"][-1]["reason"] == "categories"
    assert first_category_round.date.isoformat() in answer["regime_breaks"][-1]["description"]


async def test_the_same_rounds_give_the_same_answer_twice(client: Client) -> None:
    first = [
        (await client.get(u)).content for u in ("/v1/forecasts/next", "/v1/forecasts/backtest")
    ]
    second = [
        (await client.get(u)).content for u in ("/v1/forecasts/next", "/v1/forecasts/backtest")
    ]
    assert first == second


async def test_the_estimates_as_csv_have_a_row_per_line_and_figure(client: Client) -> None:
    lines = await get_json(client, "/v1/forecasts/next")
    response = await client.get("/v1/forecasts/next.csv?category=cec&category=healthcare")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["category"], r["target"]) for r in rows] == [
        ("cec", "crs_min"),
        ("cec", "invitations"),
        ("healthcare", "crs_min"),
        ("healthcare", "invitations"),
    ]
    cec = next(a for a in lines if a["category"] == "cec")
    assert float(rows[0]["estimate"]) == cec["crs_min"]["estimate"]
    assert float(rows[0]["lower_95"]) == cec["crs_min"]["interval_95"]["lower"]
    assert rows[2]["status"] == "insufficient_history" and rows[2]["estimate"] == ""
    backtest = await client.get("/v1/forecasts/backtest.csv?category=pnp")
    table = list(csv.DictReader(io.StringIO(backtest.text)))
    served = (await get_json(client, "/v1/forecasts/backtest?category=pnp"))["rows"]
    assert len(table) == len(served) > 0
    assert table[0]["origin"] == served[0]["origin"]


async def test_graphql_next_round_is_the_rest_answer(client: Client) -> None:
    rest = await get_json(client, "/v1/forecasts/next?category=pnp")
    data = await graphql.data(
        client,
        '{ nextRound(categories: ["pnp"]) { category status rounds firstRound { number } '
        "crsMin { estimate model interval80 { lower upper } "
        "backtest { horizon n mae coverage80 } } } }",
    )
    (answer,) = data["nextRound"]
    made = rest[0]["crs_min"]
    assert answer["rounds"] == rest[0]["rounds"]
    assert answer["crsMin"]["estimate"] == made["estimate"]
    assert answer["crsMin"]["interval80"] == {
        "lower": made["interval_80"]["lower"],
        "upper": made["interval_80"]["upper"],
    }
    assert [b["mae"] for b in answer["crsMin"]["backtest"]] == [b["mae"] for b in made["backtest"]]


async def test_a_malformed_category_is_a_400_problem_and_an_unknown_one_no_line(
    client: Client,
) -> None:
    for url in (
        "/v1/forecasts/backtest?category=Not%20A%20Slug",
        "/v1/forecasts/next?categories=cec",
    ):
        response = await client.get(url)
        assert response.status_code == 400, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # Well formed, held by no line: no line matches (an empty answer, as for every filter).
    response = await client.get("/v1/forecasts/next?category=nope")
    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_eedraws_backtest_reproduces_the_served_backtest_from_the_file_alone(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    # In a thread: the command runs its own event loop, as it does from a shell.
    assert await asyncio.to_thread(main, ["backtest", str(OFFICIAL), "--csv"]) == 0
    printed = capsys.readouterr().out
    served = await client.get("/v1/forecasts/backtest.csv")
    assert served.status_code == 200
    assert printed.encode() == served.content
    assert await asyncio.to_thread(main, ["backtest", str(OFFICIAL)]) == 0
    assert "In past rounds, 80% intervals held" in capsys.readouterr().out
