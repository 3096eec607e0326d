"""The docs page's files: same-origin, and a bad asset path is a 404 problem, never a 500."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_docs_page_loads_only_same_origin_files_that_exist(client: Client) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "<script>" not in page.text, "inline script would need CSP 'unsafe-inline'"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_docs_start_script_asks_for_the_served_spec(client: Client) -> None:
    script = await client.get("/docs/assets/eedraws-docs.js")
    assert script.status_code == 200
    assert '"/openapi.json"' in script.text
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.1")


async def test_a_docs_asset_that_does_not_exist_is_a_404_problem(client: Client) -> None:
    for path in ("/docs/assets/", "/docs/assets/no-such.js"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/docs/assets/%00", "/docs/assets/a%00b.js"])
async def test_a_nul_in_a_docs_asset_path_is_a_400_problem(client: Client, path: str) -> None:
    # The edge refuses it for every route (api/rest/semantics.py); the file is never looked for.
    response = await client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad_request"
