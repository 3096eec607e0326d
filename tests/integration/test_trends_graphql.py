"""The trend answers over /graphql equal REST's (both call the one read layer)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.graphql import answer, codes, data
from tests.support.http import counting_statements

Client = AsyncTestClient[Litestar]


def snake(value: Any) -> Any:
    """camelCase keys -> REST's snake_case, recursively."""
    if isinstance(value, list):
        return [snake(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            name = "".join("_" + c.lower() if c.isupper() else c for c in key)
            out[name] = snake(v)
        return out
    return value


@pytest.fixture
def api(client_2026: Client) -> Client:
    return client_2026


YEAR = "draws crsMin crsMax invitationsMin invitationsMax invitationsTotal"
CONTEXT = f"""
number date category categoryRef {{ slug name }} year yearRank categoryYearRank
yearToDate {{ {YEAR} }} categoryYearToDate {{ {YEAR} }}
previousInCategory {{ number date crsMin invitations crsChange daysBetween }}
poolSnapshot {{ date total sourceDraw flags bands {{ band crsLo crsHi candidates isSubtotal }} }}
"""


def as_graphql(context: dict[str, Any]) -> dict[str, Any]:
    """REST's context as GraphQL serves it: a category as a draw's (a Category: no version)."""
    ref = context["category_ref"]
    return {**context, "category_ref": {"slug": ref["slug"], "name": ref["name"]}}


async def test_a_draws_context_field_equals_rest_context(api: Client) -> None:
    for number in ("398", "357", "91b", "1"):
        got = await data(api, f'{{ draw(number: "{number}") {{ context {{ {CONTEXT} }} }} }}')
        rest = (await api.get(f"/v1/draws/{number}/context")).json()
        assert snake(got["draw"]["context"]) == as_graphql(rest), number


async def test_series_fields_equal_rest_series(api: Client) -> None:
    points = "data { period value draws category } meta { measure frequency agg units }"
    got = await data(
        api,
        '{ crsSeries(filter: {categories: ["healthcare"]}, frequency: QUARTER, agg: MEAN, '
        f"transform: ROLLING_MEAN, window: 2) {{ {points} }} "
        f"invitationSeries(frequency: YEAR, agg: COUNT) {{ {points} }} }}",
    )
    crs = (
        await api.get(
            "/v1/series/crs?category=healthcare&frequency=quarter&agg=mean"
            "&transform=rolling_mean&window=2"
        )
    ).json()
    invitations = (await api.get("/v1/series/invitations?frequency=year&agg=count")).json()
    for field, rest in (("crsSeries", crs), ("invitationSeries", invitations)):
        assert got[field]["data"] == rest["data"]
        assert snake(got[field]["meta"]) == {
            k: rest["meta"][k] for k in ("measure", "frequency", "agg", "units")
        }


async def test_standing_and_pool_history_equal_rest(api: Client) -> None:
    got = await data(
        api,
        """{ standing(crs: 481, last: 3) { crs last
               pool { date candidatesAtOrAbove total share exact method }
               draws { category name rounds met latestRound { number date crsMin }
                       latestMet { number date crsMin } } }
             poolBandHistory(band: "451-500") { band name crsLo crsHi isSubtotal
               data { date candidates total } }
             poolChanges { date previousDate bands { band name crsLo crsHi isSubtotal
               candidates previousCandidates change } } }""",
    )
    assert snake(got["standing"]) == (await api.get("/v1/standing?crs=481&last=3")).json()
    history = (await api.get("/v1/pool/bands/history?band=451-500")).json()
    assert snake(got["poolBandHistory"]) == history
    assert snake(got["poolChanges"]) == (await api.get("/v1/pool/changes")).json()


async def test_invalid_trend_arguments_are_bad_user_input(api: Client) -> None:
    for document in (
        "{ standing(crs: 1201) { crs } }",
        "{ crsSeries(transform: ROLLING_MEAN, window: 0) { meta { window } } }",
        '{ poolBandHistory(band: "1-2") { band } }',
    ):
        # Non-null fields: nothing to show, so the HTTP status is the client's 400.
        status, body = await answer(api, document)
        assert (status, codes(body)) == (400, ["BAD_USER_INPUT"]), (document, body)


async def test_context_of_a_page_of_draws_is_one_query_and_equals_rest(api: Client) -> None:
    document = f"{{ draws(first: 14) {{ nodes {{ number context {{ {CONTEXT} }} }} }} }}"
    with counting_statements(api) as counting:
        got = await data(api, document)
    nodes = got["draws"]["nodes"]
    assert len(nodes) == 14
    assert len([s for s in counting.statements if "year_to_date" in s]) == 1
    for node in nodes[:3]:
        rest = (await api.get(f"/v1/draws/{node['number']}/context")).json()
        assert snake(node["context"]) == as_graphql(rest)
