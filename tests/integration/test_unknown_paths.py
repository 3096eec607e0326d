"""A path no resource has is a 404 problem whatever the method, never a 405 (issue 13 follow-up:
`/v1/{name}`, which answers unknown format suffixes, used to turn a POST to `/v1/x` into a 405)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


@pytest.mark.parametrize("path", ["/v1/x", "/v1/stats/x", "/v1/series/x", "/v1/draws.xyz"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_any_method_on_a_path_no_resource_has_is_a_404_problem(
    client_2026: Client, method: str, path: str
) -> None:
    answer = await client_2026.request(method, path, json={"query": "{ a }"})
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "not_found"
    assert "allow" not in answer.headers


async def test_get_keeps_its_answers_and_real_resources_keep_their_405(
    client_2026: Client,
) -> None:
    assert (await client_2026.get("/v1/x")).status_code == 404
    suffix = await client_2026.get("/v1/draws.xyz")
    assert suffix.status_code == 406
    assert (await client_2026.head("/v1/draws.xyz")).status_code == 406
    posted = await client_2026.post("/v1/draws", json={})
    assert posted.status_code == 405
    assert "GET" in posted.headers["allow"]
    preflight = await client_2026.options(
        "/v1/x", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
