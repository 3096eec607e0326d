"""/v1/standing: where a CRS score stands, checked against figures computed from the file."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.ircc_rounds import Round
from tests.support.trend_expectations import draws_standing, pool_standing

# The fixtures `client` (the session's app over IRCC's file) and `rounds` (that file, parsed).
from tests.support.trend_store import trend_client, trend_rounds  # noqa: F401

Client = AsyncTestClient[Litestar]


def _lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if k != "name"} for line in body["draws"]]


SCORES = (0, 1, 299, 300, 301, 450, 451, 470, 481, 485, 490, 600, 601, 1200)


async def test_pool_at_or_above_a_score_equals_the_newest_snapshots_bands(
    rounds: list[Round], client: Client
) -> None:
    for crs in SCORES:
        answer = await client.get(f"/v1/standing?crs={crs}")
        assert answer.status_code == 200, answer.text
        pool = answer.json()["pool"]
        method = pool.pop("method")
        assert pool == pool_standing(rounds, crs), crs
        assert ("evenly" in method) is (not pool["exact"]), (crs, method)


async def test_a_score_inside_a_band_is_interpolated_and_says_so(
    rounds: list[Round], client: Client
) -> None:
    inside = (await client.get("/v1/standing?crs=485")).json()["pool"]
    assert inside["exact"] is False
    assert "481-490" in inside["method"]
    # The band's count as the page prints every count: with thousands separators.
    latest = (await client.get(f"/v1/pool/{inside['date']}")).json()
    band = next(b for b in latest["bands"] if (b["crs_lo"], b["crs_hi"]) == (481, 490))
    assert band["candidates"] >= 1000
    assert f"({band['candidates']:,} candidates)" in inside["method"]
    at_start = (await client.get("/v1/standing?crs=481")).json()["pool"]
    assert at_start["exact"] is True


async def test_rounds_met_per_line_equal_the_files_last_rounds(
    rounds: list[Round], client: Client
) -> None:
    for crs, last in ((481, 10), (500, 3), (300, 1), (1200, 100), (0, 10), (467, 10)):
        query = f"crs={crs}" if last == 10 else f"crs={crs}&last={last}"
        body = (await client.get(f"/v1/standing?{query}")).json()
        assert body["crs"] == crs
        assert body["last"] == last
        assert _lines(body) == draws_standing(rounds, crs, last), (crs, last)


async def test_category_narrows_the_lines_answered(rounds: list[Round], client: Client) -> None:
    picked = {rounds[-1].line, rounds[0].line}
    query = "&".join(f"category={slug}" for slug in sorted(picked))
    body = (await client.get(f"/v1/standing?crs=481&{query}")).json()
    assert _lines(body) == draws_standing(rounds, 481, 10, picked)


BAD = (
    "crs=1201",
    "crs=-1",
    "crs=48.5",
    "crs=abc",
    "",
    "crs=481&last=0",
    "crs=481&last=101",
    "crs=481&colour=red",
)


async def test_a_bad_score_or_parameter_is_a_400_problem(
    rounds: list[Round], client: Client
) -> None:
    for query in BAD:
        answer = await client.get(f"/v1/standing?{query}")
        assert answer.status_code == 400, (query, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "invalid_parameter"


async def test_standing_is_cached_with_an_etag(rounds: list[Round], client: Client) -> None:
    first = await client.get("/v1/standing?crs=481")
    again = await client.get(
        "/v1/standing?crs=481", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
