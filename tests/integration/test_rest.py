"""REST /v1 over HTTP against a real PostgreSQL holding the fixture rounds."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.http import pages

Client = AsyncTestClient[Litestar]


@pytest.fixture
def api(client_2024_2026: Client) -> Client:
    return client_2024_2026


async def test_a_draw_has_the_documented_shape_with_numbers_as_numbers(api: Client) -> None:
    draw = (await api.get("/v1/draws/411")).json()
    assert draw == {
        "number": "411",
        "date": "2026-04-15",
        "category": {
            "slug": "french-language-proficiency",
            "name": "French-Language proficiency",
            "version": 2,
        },
        "name": "French-Language proficiency 2026-Version 2",
        "invitations": 4000,
        "crs_min": 419,
        "programs": "Federal Skilled Worker Program, Canadian Experience Class and Federal "
        "Skilled Trades Program",
        "run_at": "2026-04-15T10:43:11Z",
        "tie_break_at": "2025-11-14T07:14:25Z",
        "pool_snapshot_date": "2026-04-12",
        "flags": [],
    }


async def test_round_numbers_are_normalised_and_lettered_rounds_are_found(api: Client) -> None:
    assert (await api.get("/v1/draws/91B")).json()["number"] == "91b"
    assert (await api.get("/v1/draws/0411")).json()["number"] == "411"
    missing = await api.get("/v1/draws/91c")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "there is no round `91c`"
    bad = await api.get("/v1/draws/abc")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_parameter"


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("-date", "date", True),
        ("date", "date", False),
        ("crs_min", "crs_min", False),
        ("-crs_min", "crs_min", True),
        ("invitations", "invitations", False),
        ("-invitations", "invitations", True),
    ],
)
async def test_keyset_pages_in_every_sort_cover_every_draw_once_in_order(
    api: Client, sort: str, key: str, reverse: bool
) -> None:
    rows = await pages(api, f"/v1/draws?limit=3&sort={sort}")
    assert len(rows) == 14
    assert len({r["number"] for r in rows}) == 14
    values = [r[key] for r in rows]
    assert values == sorted(values, reverse=reverse)


async def test_filters_combine_and_category_repeats(api: Client) -> None:
    rows = await pages(api, "/v1/draws?category=pnp&category=cec&from=2018-01-01&min_crs=500")
    assert rows
    for r in rows:
        assert r["category"]["slug"] in {"pnp", "cec"}
        assert r["date"] >= "2018-01-01"
        assert r["crs_min"] >= 500
    capped = (await api.get("/v1/draws?max_crs=470&min_invitations=3000")).json()["data"]
    assert all(r["crs_min"] <= 470 and r["invitations"] >= 3000 for r in capped)
    to = (await api.get("/v1/draws?to=2015-12-31")).json()["data"]
    assert [r["number"] for r in to] == ["1"]


async def test_latest_draw_overall_and_per_category(api: Client) -> None:
    assert (await api.get("/v1/draws/latest")).json()["number"] == "411"
    healthcare = (await api.get("/v1/draws/latest?category=healthcare")).json()
    assert healthcare["number"] == "398"
    assert healthcare["category"]["version"] == 3


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/v1/draws?limit=501", 400, "limit"),
        ("/v1/draws?limit=0", 400, "limit"),
        ("/v1/draws?limit=ten", 400, "limit"),
        ("/v1/draws?from=2024-13-01", 400, "from"),
        ("/v1/draws?sort=name", 400, "sort"),
        ("/v1/draws?cursor=not-a-cursor", 400, "`cursor` is not a cursor this API issued"),
        ("/v1/draws?limt=5", 400, "unknown query parameter `limt`"),
        ("/v1/draws/latest?category=nope", 404, "no round in category `nope`"),
        ("/v1/categories/nope", 404, "there is no category `nope`"),
        ("/v1/pool/2020-02-30", 400, "`2020-02-30` is not a date (YYYY-MM-DD)"),
        ("/v1/pool/1999-01-01", 404, "there is no pool snapshot for 1999-01-01"),
        ("/v1/stats/yearly?group_by=year", 400, "group_by"),
        ("/v1/nothing", 404, "no resource at this path"),
    ],
)
async def test_bad_requests_get_a_problem_json_4xx_with_a_clear_detail(
    api: Client, url: str, status: int, detail: str
) -> None:
    answer = await api.get(url)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == status
    assert detail in problem["detail"]
    assert problem["type"] == "/errors/" + problem["code"]


@pytest.mark.parametrize(
    "query", ["category=healthcar", "from=2025-01-01&to=2024-01-01", "min_crs=600&max_crs=400"]
)
async def test_a_well_formed_filter_no_round_matches_is_an_empty_answer_not_an_error(
    api: Client, query: str
) -> None:
    # The spec cannot list the slugs the data holds or state `from <= to`; what it calls valid
    # is answered (docs/contract-testing.md): lists and series are empty, a chart or "the
    # latest" of nothing is a 404, as for any filter that matches no round.
    answer = await api.get(f"/v1/draws?{query}")
    assert (answer.status_code, answer.json()) == (200, {"data": [], "next_cursor": None})
    assert (await api.get(f"/v1/series/crs?{query}")).json()["data"] == []
    assert (await api.get(f"/v1/draws.feed.json?{query}")).json()["items"] == []
    chart = await api.get(f"/v1/charts/crs.svg?{query}")
    assert (chart.status_code, chart.json()["code"]) == (404, "not_found")


async def test_a_category_no_round_has_beside_one_that_has_changes_nothing(api: Client) -> None:
    alone = (await api.get("/v1/draws?category=healthcare")).json()
    assert alone["data"]
    assert (await api.get("/v1/draws?category=healthcare&category=no-such-line")).json() == alone


async def test_a_cursor_from_one_sort_is_refused_for_another(api: Client) -> None:
    cursor = (await api.get("/v1/draws?limit=2")).json()["next_cursor"]
    answer = await api.get(f"/v1/draws?limit=2&sort=crs_min&cursor={cursor}")
    assert answer.status_code == 400
    assert "issued for `sort=-date`" in answer.json()["detail"]


async def test_method_not_allowed_is_a_problem_too(api: Client) -> None:
    answer = await api.delete("/v1/draws/411")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"


async def test_categories_carry_aliases_versions_and_counts(api: Client) -> None:
    categories = (await api.get("/v1/categories")).json()
    slugs = [c["slug"] for c in categories]
    assert slugs[0] == "french-language-proficiency"  # most recently drawn first
    french = (await api.get("/v1/categories/french-language-proficiency")).json()
    assert french["kind"] == "category"
    assert "French language proficiency (2023-1)" in french["aliases"]
    assert "French-Language proficiency 2026-Version 2" in french["aliases"]
    assert [v["version"] for v in french["versions"]] == [1, 2]
    assert french["draws"] == 2
    assert (french["first_draw"], french["last_draw"]) == ("270", "411")


async def test_pool_snapshots_list_latest_and_by_date(api: Client) -> None:
    listing = (await api.get("/v1/pool")).json()
    assert listing[0]["date"] == "2026-04-12"
    latest = (await api.get("/v1/pool/latest")).json()
    assert latest["total"] == 233555
    assert len(latest["bands"]) == 17
    assert latest["bands"][16] == {
        "band": 17,
        "crs_lo": 0,
        "crs_hi": 300,
        "candidates": 8253,
        "is_subtotal": False,
    }
    ranged = (await api.get("/v1/pool?from=2023-01-01&to=2023-12-31")).json()
    assert all("2023-01-01" <= s["date"] <= "2023-12-31" for s in ranged)


async def test_yearly_stats_per_year_and_per_category(api: Client) -> None:
    yearly = {s["year"]: s for s in (await api.get("/v1/stats/yearly")).json()}
    assert yearly[2018]["draws"] == 2
    assert yearly[2018]["invitations"] == 500 + 200  # 91a (FST) and 91b (PNP)
    assert "category" not in yearly[2018]
    grouped = (await api.get("/v1/stats/yearly?group_by=category")).json()
    assert {(s["year"], s["category"]["slug"]) for s in grouped} >= {(2018, "pnp"), (2018, "fst")}


async def test_status_reports_the_last_ingest_and_data_version(api: Client) -> None:
    status = (await api.get("/v1/status")).json()
    assert status["data_version"] == 2
    assert status["newest_draw"] == "411"
    assert status["last_ingest"]["source"].endswith("rounds_2026.json")
    assert len(status["last_ingest"]["sha256"]) == 64


async def test_openapi_and_the_docs_page_are_served_with_no_external_assets(
    api: Client,
) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/draws" in spec["paths"]
    docs = await api.get("/docs")
    assert docs.status_code == 200
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", docs.text)
    assert external == []
    for asset in re.findall(r"""(?:src|href)=["'](/docs/assets/[^"']+)""", docs.text):
        assert (await api.get(asset)).status_code == 200, asset
