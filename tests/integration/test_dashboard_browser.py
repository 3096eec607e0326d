"""The dashboard, a round's page and a chart as a person sees them, in headless chromium."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

from playwright.async_api import expect

from api.settings import Settings
from tests.support.browser import chromium, watch, watched_page
from tests.support.db import FIXTURES, Ingest
from tests.support.server import served

# What the browser finds in a drawn chart: each line mark with a path it actually drew.
LINES_IN_SVG = """() => [...document.querySelectorAll('[aria-roledescription="line mark"]')]
    .filter(path => (path.getAttribute('d') || '').length > 10)
    .map(path => [path.getAttribute('stroke'), path.getAttribute('stroke-dasharray') || ''])"""
LEGEND_IN_SVG = """() => [...document.querySelectorAll('.role-legend-label text')]
    .map(text => text.textContent)"""
BROKEN_IMAGES = """() => [...document.images]
    .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.currentSrc)"""


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


async def test_dashboard_shows_the_headline_chart_with_a_line_per_category(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        draws = get_json(f"{base}/v1/draws?limit=500")["data"]
        names = {d["category"]["name"] for d in draws}
        async with chromium() as browser, watched_page(browser) as (page, seen):
            response = await page.goto(f"{base}/", wait_until="networkidle")
            assert response is not None and response.status == 200
            assert await page.locator("h1").inner_text() == "Express Entry rounds of invitations"
            headings = await page.locator("h2").all_inner_texts()
            for heading in ("Cut-off scores over time", "Where do I stand?", "Newest rounds"):
                assert heading in headings
            assert await page.evaluate(BROKEN_IMAGES) == []
            headline = page.locator("#cut-offs ~ figure img")
            alt = await headline.get_attribute("alt")
            assert alt and f"{len(draws)} rounds in {len(names)} categories" in alt
            # The newest rounds link to their pages.
            newest = page.locator("#draws ~ div table a").first
            assert await newest.inner_text() == f"#{draws[0]['number']}"
            seen.assert_clean()
            assert all(url.startswith(base) for url in seen.requested), seen.requested
            chart_url = await headline.evaluate("img => img.currentSrc")

        # The picture itself: one drawn line per category, each its own colour and dash.
        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(chart_url, wait_until="networkidle")
            lines = await page.evaluate(LINES_IN_SVG)
            legend = await page.evaluate(LEGEND_IN_SVG)
            seen.assert_clean()
        assert sorted(legend) == sorted(names)
        assert len(lines) == len(names)
        assert len({tuple(line) for line in lines}) == len(names)


async def test_category_picker_redraws_the_headline_with_javascript_off(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(java_script_enabled=False)
            page = await context.new_page()
            seen = watch(page)
            await page.goto(f"{base}/", wait_until="networkidle")
            # The picker folds under the chart; <details> opens with no script.
            await page.get_by_text("Choose categories and dates").click()
            await page.get_by_label("Healthcare and Social Services Occupations").check()
            await page.get_by_label("Canadian Experience Class").check()
            await page.get_by_role("button", name="Show").click()
            await page.wait_for_load_state("networkidle")
            assert "category=healthcare" in page.url and "category=cec" in page.url
            healthcare = page.get_by_label("Healthcare and Social Services Occupations")
            assert await healthcare.is_checked()
            src = await page.locator("#cut-offs ~ figure img").evaluate("i => i.currentSrc")
            assert "category=healthcare" in src and "category=cec" in src
            assert await page.evaluate(BROKEN_IMAGES) == []
            await page.goto(src)
            lines = await page.evaluate(LINES_IN_SVG)
            seen.assert_clean()
            await context.close()
        assert len(lines) == 2


async def test_a_bad_date_in_the_picker_is_explained_on_the_page(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        async with chromium() as browser, watched_page(browser) as (page, _):
            response = await page.goto(f"{base}/?from=2026-02-01&to=2025-01-01")
            assert response is not None and response.status == 400
            alert = await page.get_by_role("alert").inner_text()
            assert "from (2026-02-01) is after to (2025-01-01)" in alert
            # The rest of the page is still there, with every round.
            assert await page.locator("#draws ~ div table tbody tr").count() > 0


async def test_draw_page_shows_the_rounds_figures_and_its_pool(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        draw = get_json(f"{base}/v1/draws/411")
        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(f"{base}/", wait_until="networkidle")
            await page.locator("#draws ~ div table a", has_text="#411").click()
            await page.wait_for_load_state("networkidle")
            assert page.url == f"{base}/draws/411"
            heading = await page.locator("h1").inner_text()
            assert heading == f"Round #411: {draw['category']['name']}"
            facts = await page.locator("dl.facts").inner_text()
            assert f"{draw['invitations']:,}" in facts
            assert str(draw["crs_min"]) in facts
            assert await page.evaluate(BROKEN_IMAGES) == []
            pool = await page.locator("#pool").inner_text()
            assert draw["pool_snapshot_date"] in pool
            seen.assert_clean()
            missing = await page.goto(f"{base}/draws/9999")
            assert missing is not None and missing.status == 404
            assert "there is no round 9999" in await page.locator("main").inner_text()


async def test_keyboard_reaches_the_skip_link_first(settings: Settings, ingest: Ingest) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(f"{base}/", wait_until="networkidle")
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement.textContent")
            assert focused == "Skip to content"
            await page.keyboard.press("Enter")
            # The jump to #main reaches playwright as an event after the key press returns:
            # page.url read at once may still be the old one, so wait for it (5 s at most).
            await expect(page).to_have_url(re.compile(r"#main$"))
            seen.assert_clean()


async def test_where_do_i_stand_answers_for_481_with_javascript_off(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        pool = get_json(f"{base}/v1/pool/latest")
        # 481 starts a band: the count at or above it is a plain sum of IRCC's bands.
        above = sum(
            b["candidates"] for b in pool["bands"] if not b["is_subtotal"] and b["crs_lo"] >= 481
        )
        async with chromium() as browser:
            context = await browser.new_context(java_script_enabled=False)
            page = await context.new_page()
            seen = watch(page)
            await page.goto(f"{base}/", wait_until="networkidle")
            await page.get_by_label("Your CRS score").fill("481")
            await page.get_by_role("button", name="Check").click()
            await page.wait_for_load_state("networkidle")
            assert "crs=481" in page.url
            answer = await page.locator(".answer").inner_text()
            seen.assert_clean()
            await context.close()
        assert (
            f"{above:,} of the {pool['total']:,} candidates in the pool on {pool['date']}" in answer
        )
        assert f"({above / pool['total']:.1%})" in answer
        assert "A score of 481 against the last 10 rounds of each category" in answer


async def test_chart_urls_pasted_into_another_sites_page_show_as_images(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings) as base:
        post = "".join(
            f'<img src="{base}/v1/charts/{name}" alt="chart">'
            for name in ("crs.svg?category=healthcare", "invitations.png", "pool.svg")
        )
        async with chromium() as browser, watched_page(browser) as (page, seen):
            # A blog post on another origin (about:blank), as a reader's browser loads it.
            await page.set_content(f"<!doctype html><title>post</title>{post}")
            await page.wait_for_load_state("networkidle")
            sizes = await page.evaluate(
                "() => [...document.images].map(i => [i.complete, i.naturalWidth])"
            )
            seen.assert_clean()
        assert sizes and all(done and width >= 560 for done, width in sizes), sizes
