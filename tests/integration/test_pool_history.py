"""/v1/pool/bands/history and /v1/pool/changes against the snapshots in the rounds file."""

from __future__ import annotations

import itertools

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.ircc_rounds import BANDS, Round, snapshots

# The fixtures `client` (the session's app over IRCC's file) and `rounds` (that file, parsed).
from tests.support.trend_store import trend_client, trend_rounds  # noqa: F401

Client = AsyncTestClient[Litestar]


async def test_each_bands_history_is_its_count_in_every_snapshot_oldest_first(
    rounds: list[Round], client: Client
) -> None:
    snaps = snapshots(rounds)
    for i, (lo, hi, subtotal) in enumerate(BANDS):
        for name in (f"{lo}-{hi}", str(i + 1)):
            answer = await client.get(f"/v1/pool/bands/history?band={name}")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["band"], body["name"], body["is_subtotal"]) == (
                i + 1,
                f"{lo}-{hi}",
                subtotal,
            )
            assert body["data"] == [
                {"date": day.isoformat(), "candidates": dd[i], "total": dd[17]}
                for day, dd in sorted(snaps.items())
            ]


async def test_band_names_are_the_ranges_pool_snapshots_show(
    rounds: list[Round], client: Client
) -> None:
    latest = (await client.get("/v1/pool/latest")).json()
    for band in latest["bands"]:
        name = f"{band['crs_lo']}-{band['crs_hi']}"
        history = (await client.get(f"/v1/pool/bands/history?band={name}")).json()
        assert history["data"][-1]["candidates"] == band["candidates"]


async def test_an_unknown_band_is_a_400_listing_the_bands(
    rounds: list[Round], client: Client
) -> None:
    for query in ("band=450-500", "band=18", "band=", ""):
        answer = await client.get(f"/v1/pool/bands/history?{query}")
        assert answer.status_code == 400, (query, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    detail = (await client.get("/v1/pool/bands/history?band=450-500")).json()["detail"]
    assert "451-500" in detail


async def test_changes_are_per_band_between_consecutive_snapshots_newest_first(
    rounds: list[Round], client: Client
) -> None:
    ordered = sorted(snapshots(rounds).items())
    expected = [
        {
            "date": day.isoformat(),
            "previous_date": before_day.isoformat(),
            "bands": [
                {
                    "band": i + 1,
                    "name": f"{lo}-{hi}",
                    "crs_lo": lo,
                    "crs_hi": hi,
                    "is_subtotal": subtotal,
                    "candidates": dd[i],
                    "previous_candidates": before[i],
                    "change": dd[i] - before[i],
                }
                for i, (lo, hi, subtotal) in enumerate(BANDS)
            ],
        }
        for (before_day, before), (day, dd) in itertools.pairwise(ordered)
    ]
    answer = await client.get("/v1/pool/changes")
    assert answer.status_code == 200
    assert answer.json() == expected[::-1]
