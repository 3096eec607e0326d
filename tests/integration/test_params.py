"""Parameters mean what they say: one value where one is taken, errors in the API's words,
one URL per round, revisions by the API's field names."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.db import FIXTURES, Ingest

Client = AsyncTestClient[Litestar]


@pytest.fixture
def api(client_2024_2026: Client) -> Client:
    return client_2024_2026


async def problem(api: Client, url: str, status: int = 400) -> dict[str, Any]:
    answer = await api.get(url)
    assert answer.status_code == status, (url, answer.text)
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/v1/draws?limit=1&limit=2",
        "/v1/draws?sort=date&sort=-date",
        "/v1/draws?min_crs=400&min_crs=500",
        "/v1/draws.csv?from=2024-01-01&from=2025-01-01",
        "/v1/stats/yearly?group_by=category&group_by=category",
        "/v1/pool?to=2025-01-01&to=2026-01-01",
    ],
)
async def test_a_single_valued_parameter_given_twice_is_a_400_that_says_so(
    api: Client, url: str
) -> None:
    name = url.split("?")[1].split("=")[0]
    body = await problem(api, url)
    assert body["detail"] == f"`{name}` was given 2 times; it takes one value"


async def test_category_stays_repeatable_where_it_is_a_list(api: Client) -> None:
    answer = await api.get("/v1/draws?category=healthcare&category=cec")
    assert answer.status_code == 200
    assert {d["category"]["slug"] for d in answer.json()["data"]} == {"healthcare", "cec"}


async def test_latest_takes_several_categories_and_answers_the_newest_of_them(
    api: Client,
) -> None:
    one = (await api.get("/v1/draws/latest?category=healthcare")).json()
    other = (await api.get("/v1/draws/latest?category=cec")).json()
    both = await api.get("/v1/draws/latest?category=healthcare&category=cec")
    assert both.status_code == 200
    newest = max((one, other), key=lambda d: (d["date"], d["number"]))
    assert both.json() == newest
    assert one["number"] != other["number"]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/v1/draws?min_crs=abc", "`min_crs` must be an integer from 0 to 1200, got `abc`"),
        ("/v1/draws?min_crs=1e3", "`min_crs` must be an integer from 0 to 1200, got `1e3`"),
        ("/v1/draws?max_crs=1.0", "`max_crs` must be an integer from 0 to 1200, got `1.0`"),
        ("/v1/draws?limit=ten", "`limit` must be an integer from 1 to 500, got `ten`"),
        ("/v1/draws?from=2024-13-01", "`from` must be a date as YYYY-MM-DD, got `2024-13-01`"),
        ("/v1/draws?to=20240101", "`to` must be a date as YYYY-MM-DD, got `20240101`"),
        ("/v1/pool?from=yesterday", "`from` must be a date as YYYY-MM-DD, got `yesterday`"),
        (
            "/v1/draws?sort=name",
            "`sort` must be one of date, -date, crs_min, -crs_min, invitations, -invitations; "
            "got `name`",
        ),
        ("/v1/stats/yearly?group_by=year", "`group_by` must be one of category; got `year`"),
        ("/v1/stats/yearly.csv?group_by=", "`group_by` must be one of category; got ``"),
        ("/v1/draws?category=", "`category` must be a category slug"),
        ("/v1/draws/latest?category=Health", "`category` must be a category slug"),
        # A required parameter left out reads like the rest (it was Litestar's "Missing required
        # query parameter 'crs' for path /v1/standing", with an empty `errors`).
        ("/v1/standing", "`crs` is required: this query parameter is missing"),
        ("/v1/pool/bands/history", "`band` is required: this query parameter is missing"),
    ],
)
async def test_errors_use_the_apis_names_and_say_what_is_allowed(
    api: Client, url: str, detail: str
) -> None:
    body = await problem(api, url)
    assert body["detail"].startswith(detail), body["detail"]
    assert "date_from" not in body["detail"] and "Expected" not in body["detail"]
    assert body.get("errors", [{}]) != [], "`errors`, when given, lists the parameter"


async def test_an_echoed_bad_value_is_cut_short(api: Client) -> None:
    long = "x" * 10_000
    # A path segment over 255 bytes is refused before routing (tests/integration/
    # test_request_target.py); one under it reaches the handler and is echoed cut short.
    segment = long[:250]
    for url in (f"/v1/draws?category={long}", f"/v1/draws?min_crs={long}", f"/v1/draws/{segment}"):
        body = await problem(api, url)
        assert "x" * 80 + "…" in body["detail"]
        assert len(body["detail"]) < 400


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999", "1000000"])
async def test_a_well_formed_round_number_that_does_not_exist_is_a_404(
    api: Client, number: str
) -> None:
    body = await problem(api, f"/v1/draws/{number}", 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize(
    ("asked", "canonical"),
    [
        ("/v1/draws/00411", "/v1/draws/411"),
        ("/v1/draws/0411/revisions", "/v1/draws/411/revisions"),
    ],
)
async def test_another_spelling_of_a_round_number_redirects_to_its_one_url(
    api: Client, asked: str, canonical: str
) -> None:
    answer = await api.get(asked, follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == canonical
    assert (await api.get(canonical)).status_code == 200


async def test_a_lettered_round_in_capitals_redirects_to_lower_case(api: Client) -> None:
    answer = await api.get("/v1/draws/91A", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == "/v1/draws/91a"


async def test_revisions_name_the_apis_fields_beside_irccs_keys(
    client: Client, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    data = json.loads((FIXTURES / "rounds_2026.json").read_text())
    edited = data["rounds"][0]
    number, was = edited["drawNumber"], edited["drawCRS"]
    edited["drawCRS"] = str(int(was) + 1)
    await ingest.data(json.dumps(data).encode())
    revisions = (await client.get(f"/v1/draws/{number}/revisions")).json()
    assert len(revisions) == 1
    assert revisions[0]["changes"] == [
        {"field": "crs_min", "ircc_key": "drawCRS", "old": was, "new": edited["drawCRS"]}
    ]
    assert revisions[0]["old_values"] == {"drawCRS": was}
    now = (await client.get(f"/v1/draws/{number}")).json()
    assert now["crs_min"] == int(was) + 1


async def test_the_openapi_states_what_is_refused(api: Client) -> None:
    spec = (await api.get("/openapi.json")).json()
    params = {p["name"]: p for p in spec["paths"]["/v1/draws"]["get"]["parameters"]}
    assert params["category"]["schema"]["items"]["minLength"] == 1
    assert "below `from`, no round matches" in params["to"]["schema"]["description"]
    assert "below `min_crs`, no round matches" in params["max_crs"]["schema"]["description"]
    latest = {p["name"]: p for p in spec["paths"]["/v1/draws/latest"]["get"]["parameters"]}
    assert latest["category"]["schema"]["type"] == "array"
    assert "301" in spec["paths"]["/v1/draws/{number}"]["get"]["responses"]


async def test_a_cursor_whose_numbers_overflow_postgresql_int_is_a_400(api: Client) -> None:
    import base64

    for forged in ('["-date","2026-04-15",99999999999]', '["crs_min","99999999999",1]'):
        cursor = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
        sort = json.loads(forged)[0]
        body = await problem(api, f"/v1/draws?sort={sort}&cursor={cursor}")
        assert body["detail"] == "`cursor` is not a cursor this API issued"


@pytest.mark.parametrize("value", ["abc", "1.5", "1e3", "+700", "99999999999999999999"])
async def test_a_chart_width_that_is_not_plain_digits_is_refused_in_the_apis_words(
    api: Client, value: str
) -> None:
    body = await problem(api, f"/v1/charts/crs.svg?width={value}")
    assert body["detail"].startswith("`width` must be an integer"), body["detail"]
