"""The browser harness itself: it must report what a person's browser would complain about."""

from __future__ import annotations

from tests.support.browser import chromium, watched_page
from tests.support.server import free_port


async def test_harness_reports_console_errors_page_errors_and_failed_requests() -> None:
    dead = f"http://127.0.0.1:{free_port()}/nothing.png"
    async with chromium() as browser, watched_page(browser) as (page, seen):
        await page.set_content(
            f"<img src='{dead}'><script>console.error('boom'); undefined_name();</script>"
        )
        await page.wait_for_timeout(200)
        assert any("boom" in m for m in seen.console_errors)
        assert any("undefined_name" in m for m in seen.page_errors)
        assert any(dead in m for m in seen.failed_requests)
        assert len(seen.problems()) >= 3


async def test_harness_finds_a_clean_page_clean() -> None:
    async with chromium() as browser, watched_page(browser) as (page, seen):
        await page.set_content("<p>fine</p>")
        assert await page.inner_text("p") == "fine"
        seen.assert_clean()
