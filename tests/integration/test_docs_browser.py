"""/docs as a person sees it: real headless chromium against a real server."""

from __future__ import annotations

import json
import urllib.request

from api.settings import Settings
from tests.support.browser import chromium, watched_page
from tests.support.server import served


def spec_summaries(base: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as response:
        spec = json.loads(response.read())
    return [op["summary"] for path in spec["paths"].values() for op in path.values()]


async def test_docs_page_renders_every_operation_and_tries_one_with_no_console_errors(
    rounds_2026: Settings,
) -> None:
    with served(rounds_2026) as base:
        summaries = spec_summaries(base)
        assert "List rounds of invitations" in summaries
        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(f"{base}/docs", wait_until="networkidle")
            await page.wait_for_selector(".opblock-summary", timeout=15_000)
            text = await page.inner_text("#swagger-ui")
            assert "Unable to render" not in text
            assert "/v1/draws/{number}" in text
            for summary in summaries:
                assert summary in text, f"{summary!r} is not on the docs page"
            # Try it out against the live server, as a reader would.
            operation = page.locator(".opblock", has_text="List rounds of invitations")
            await operation.locator(".opblock-summary").click()
            await operation.get_by_role("button", name="Try it out").click()
            await operation.get_by_role("button", name="Execute").click()
            status = operation.locator(".live-responses-table tbody .response-col_status").first
            await status.wait_for(timeout=15_000)
            assert (await status.inner_text()).strip() == "200"
            seen.assert_clean()
            assert all(url.startswith(base) for url in seen.requested), seen.requested


async def test_root_leads_to_a_page_that_renders(rounds_2026: Settings) -> None:
    with served(rounds_2026) as base:
        async with chromium() as browser, watched_page(browser) as (page, seen):
            response = await page.goto(f"{base}/", wait_until="networkidle")
            assert response is not None and response.ok
            text = await page.inner_text("body")
            assert "Unable to render" not in text
            assert "error" not in (await page.title()).lower()
            seen.assert_clean()
