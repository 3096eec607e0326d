"""/v1/draws/{number}/context: a round among the others, checked against the rounds file.

Every expected figure is computed in tests/support from the JSON itself, not by the app.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.ircc_rounds import Round
from tests.support.trend_expectations import draw_context

# The fixtures `client` (the session's app over IRCC's file) and `rounds` (that file, parsed).
from tests.support.trend_store import trend_client, trend_rounds  # noqa: F401

Client = AsyncTestClient[Litestar]


def _without_snapshot_provenance(body: dict[str, Any]) -> dict[str, Any]:
    # The category's object is the draw's own (checked against /v1/draws/{number} below).
    body = {k: v for k, v in body.items() if k != "category_ref"}
    snapshot = body.get("pool_snapshot")
    if snapshot is not None:
        body = {**body, "pool_snapshot": {k: snapshot[k] for k in ("date", "total", "bands")}}
    return body


async def test_every_rounds_context_equals_the_figures_computed_from_the_file(
    rounds: list[Round], client: Client
) -> None:
    for r in rounds:
        answer = await client.get(f"/v1/draws/{r.number}/context")
        assert answer.status_code == 200, answer.text
        assert _without_snapshot_provenance(answer.json()) == draw_context(rounds, r.number), (
            r.number
        )


async def test_a_contexts_category_ref_is_its_draws_category_and_category_stays_the_slug(
    rounds: list[Round], client: Client
) -> None:
    for r in rounds[:40]:
        context = (await client.get(f"/v1/draws/{r.number}/context")).json()
        draw = (await client.get(f"/v1/draws/{r.number}")).json()
        assert context["category_ref"] == draw["category"], r.number
        assert context["category"] == draw["category"]["slug"], r.number


async def test_two_rounds_on_one_date_are_ranked_by_round_number(
    rounds: list[Round], client: Client
) -> None:
    a = (await client.get("/v1/draws/91a/context")).json()
    b = (await client.get("/v1/draws/91b/context")).json()
    assert b["year_rank"] == a["year_rank"] + 1
    assert a["date"] == b["date"]


async def test_a_lines_first_round_has_no_previous_round(
    rounds: list[Round], client: Client
) -> None:
    first = rounds[0]
    body = (await client.get(f"/v1/draws/{first.number}/context")).json()
    assert body["previous_in_category"] is None
    assert body["year_rank"] == 1


async def test_context_of_an_unknown_round_is_a_404_and_of_a_malformed_number_a_400(
    rounds: list[Round], client: Client
) -> None:
    missing = await client.get("/v1/draws/99999/context")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    malformed = await client.get("/v1/draws/abc/context")
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "invalid_parameter"


async def test_context_is_cached_with_an_etag_and_revalidates_to_304(
    rounds: list[Round], client: Client
) -> None:
    url = f"/v1/draws/{rounds[-1].number}/context"
    first = await client.get(url)
    etag = first.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_another_spelling_of_the_number_redirects_to_the_one_url(
    rounds: list[Round], client: Client
) -> None:
    answer = await client.get("/v1/draws/91B/context", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == "/v1/draws/91b/context"
