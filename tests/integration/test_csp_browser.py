"""The Content-Security-Policy holds on the pages we ship: no violation in a real browser.

GraphiQL here; /docs, the dashboard and the round pages are checked by their own browser tests
(test_docs_browser, test_dashboard_browser), which fail on any console error, CSP's included.
"""

from __future__ import annotations

from api.settings import Settings
from tests.support.browser import chromium, watched_page
from tests.support.db import FIXTURES, Ingest
from tests.support.server import served


async def test_graphiql_runs_a_query_under_the_content_security_policy(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        async with chromium() as browser, watched_page(browser) as (page, seen):
            response = await page.goto(f"{base}/graphql", wait_until="networkidle")
            assert response is not None
            assert "script-src 'self'" in (await response.header_value("content-security-policy"))
            await page.wait_for_selector(".graphiql-container", timeout=15_000)
            await page.locator(".graphiql-execute-button").click()
            # A locator, not wait_for_function: evaluating a string is what the policy forbids.
            result = page.locator(".result-window").filter(has_text="totalCount")
            await result.wait_for(timeout=15_000)
            # Nothing failed, the page's icon included (the dashboard's, named by the page).
            seen.assert_clean()
            assert all(url.startswith(base) for url in seen.requested), seen.requested
            assert f"{base}/assets/favicon.svg" in seen.requested, seen.requested
