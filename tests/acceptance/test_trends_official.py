"""The trend answers on IRCC's real files: the issue's article about round #385, in one request.

The prose of the issue is checked against the file first (the file is the authority), then the
API's answer against figures computed here from the file.
"""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.ircc_rounds import OFFICIAL, SHARED_DATA, Round, load
from tests.support.trend_expectations import draw_context, draws_standing, pool_standing

OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"
Client = AsyncTestClient[Litestar]

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(
        not OFFICIAL.exists() or not OLDER.exists(),
        reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA})",
    ),
]


@pytest.fixture
def rounds() -> list[Round]:
    return load(OFFICIAL)


@pytest.fixture
def client(client_official: Client) -> Client:
    """Both files ingested in the order IRCC published them: the newer file's edits win."""
    return client_official


async def test_the_article_about_round_385_is_one_request_and_matches_the_file(
    rounds: list[Round], client: Client
) -> None:
    expected = draw_context(rounds, "385")
    # "Draw #385 invites 1,000 healthcare workers: the 55th draw of the year and the seventh for
    # healthcare; healthcare cut-offs this year ran from 462 to 510, with 500 to 4,000
    # invitations; the pool held 242,379 candidates": each fact, from the file.
    me = next(r for r in rounds if r.number == "385")
    assert (me.line, me.invitations, me.crs) == ("healthcare", 1000, 476)
    line_year = expected["category_year_to_date"]
    assert (expected["year_rank"], expected["category_year_rank"]) == (55, 7)
    assert (line_year["crs_min"], line_year["crs_max"]) == (462, 510)
    assert (line_year["invitations_min"], line_year["invitations_max"]) == (500, 4000)
    assert expected["pool_snapshot"]["total"] == 242_379

    answer = await client.get("/v1/draws/385/context")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The category as an object too, the draw's own (the file's figures are checked below).
    assert body.pop("category_ref") == (await client.get("/v1/draws/385")).json()["category"]
    snapshot = body["pool_snapshot"]
    assert snapshot["source_draw"] == "385"
    body["pool_snapshot"] = {k: snapshot[k] for k in ("date", "total", "bands")}
    assert body == expected
    draw = (await client.get("/v1/draws/385")).json()
    assert (draw["crs_min"], draw["invitations"]) == (476, 1000)


async def test_standing_for_481_in_one_request_matches_the_file(
    rounds: list[Round], client: Client
) -> None:
    body = (await client.get("/v1/standing?crs=481")).json()
    pool = body["pool"]
    pool.pop("method")
    assert pool == pool_standing(rounds, 481)
    lines = [{k: v for k, v in line.items() if k != "name"} for line in body["draws"]]
    assert lines == draws_standing(rounds, 481, 10)


async def test_healthcare_cut_offs_per_year_match_the_file(
    rounds: list[Round], client: Client
) -> None:
    body = (await client.get("/v1/series/crs?category=healthcare&frequency=year")).json()
    years: dict[str, list[int]] = {}
    for r in rounds:
        if r.line == "healthcare":
            years.setdefault(str(r.date.year), []).append(r.crs)
    assert [(p["period"], p["value"], p["draws"]) for p in body["data"]] == [
        (year, min(crs), len(crs)) for year, crs in sorted(years.items())
    ]
