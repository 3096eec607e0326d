"""The pages as a person sees them in chromium, at a phone's and a desktop's width (issue 21,
items 1, 2, 3 and 7): a filter reaches every section of rounds, tables and dates read on a phone,
a round's chart has its files, the error pages look like the rest."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from api.columns import DRAWS, pandas_dtypes
from api.settings import Settings
from tests.support.browser import chromium, layout_problems, watch, watched_page
from tests.support.server import served

FILTER = "category=healthcare&category=cec&from=2024-01-01"
PHONE, DESKTOP = 390, 1280
PAGES = [
    "/",
    f"/?{FILTER}&crs=481",
    "/draws/398",
    "/errors",
    "/errors/invalid_parameter",
    "/graphql",
]
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


@pytest.fixture(scope="module")
def base(rounds_2026: Settings) -> Iterator[str]:
    with served(rounds_2026) as url:
        yield url


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
async def test_every_page_fits_the_screen_with_no_hidden_column_or_broken_date(
    base: str, width: int
) -> None:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": width, "height": 844})
        page = await context.new_page()
        seen = watch(page)
        found: dict[str, list[str]] = {}
        for path in PAGES:
            await page.goto(base + path, wait_until="networkidle")
            problems = await layout_problems(page)
            await page.evaluate(OPEN_DETAILS)  # the charts' data tables, stacked on a phone
            problems += await layout_problems(page)
            if problems:
                found[path] = problems
        await context.close()
    assert not found, found
    seen.assert_clean()


async def test_graphiqls_query_editor_is_whole_on_a_phone(base: str) -> None:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": PHONE, "height": 844})
        page = await context.new_page()
        seen = watch(page)
        await page.goto(f"{base}/graphql", wait_until="networkidle")
        editor = await page.evaluate(
            """() => { const e = document.querySelector('.graphiql-query-editor');
                const code = e.querySelector('.CodeMirror-scroll');
                const box = e.getBoundingClientRect();
                return {left: box.left, right: box.right, width: box.width,
                        scroll: code.scrollWidth, shown: code.clientWidth}; }"""
        )
        response = await page.evaluate(
            "() => document.querySelector('.graphiql-response').getBoundingClientRect().width"
        )
        await context.close()
    seen.assert_clean()
    assert editor["right"] <= PHONE and editor["width"] >= 280, editor
    assert editor["scroll"] <= editor["shown"], "a line of the query is cut off"
    assert response >= 280, "the response gets the full width too"


async def test_a_filter_reaches_every_section_of_rounds_and_the_pool_says_it_has_none(
    base: str,
) -> None:
    rounds = get_json(f"{base}/v1/draws?{FILTER}&limit=500")["data"]
    newest = [f"#{d['number']}" for d in rounds[:20]]
    standing = get_json(f"{base}/v1/standing?crs=481&{FILTER}")["draws"]
    async with chromium() as browser:
        context = await browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = await context.new_page()
        seen = watch(page)
        await page.goto(f"{base}/?{FILTER}&crs=481", wait_until="networkidle")
        status = await page.get_by_role("status").first.inner_text()
        table = await page.locator("#draws ~ div table tbody tr td:first-child a").all_inner_texts()
        feeds = await page.eval_on_selector_all(
            "link[rel=alternate]", "links => links.map(l => l.getAttribute('href'))"
        )
        invitations = await page.locator("#invitations ~ figure img").evaluate(
            "img => img.currentSrc"
        )
        standing_rows = await page.locator(
            "#standing ~ .answer table tbody td:first-child"
        ).all_inner_texts()
        pool = await page.locator("section[aria-labelledby=pool]").inner_text()
        async with page.expect_download() as download_info:
            await page.locator("#draws ~ p.downloads a", has_text="CSV").click()
        download = await download_info.value
        csv = (await download.path()).read_bytes()
        await context.close()
    seen.assert_clean()
    assert f"Showing {len(rounds)} rounds" in status
    assert table == newest
    assert feeds and all(href.endswith(f"?{FILTER}") for href in feeds), feeds
    assert all(part in invitations for part in FILTER.split("&")), invitations
    assert sorted(standing_rows) == sorted(line["name"] for line in standing)
    assert "Not filtered: the pool is every candidate" in pool
    # The CSV it links is those rounds, named for them.
    assert download.suggested_filename.startswith("eedraws-draws-healthcare-cec-from-2024-01-01")
    frame = pd.read_csv(io.BytesIO(csv), dtype=pandas_dtypes(DRAWS))  # type: ignore[arg-type]
    assert list(frame["number"]) == [d["number"] for d in rounds]
    # A feed it links holds those rounds only.
    feed = get_json(base + next(href for href in feeds if ".feed.json" in href))
    assert {item["id"].rsplit("/", 1)[-1] for item in feed["items"]} == {
        d["number"] for d in rounds
    }


async def test_a_rounds_page_offers_its_charts_files_like_the_dashboard(base: str) -> None:
    draw = get_json(f"{base}/v1/draws/398")
    line = get_json(f"{base}/v1/draws?category=healthcare&from=2023-01-01&limit=500")["data"]
    async with chromium() as browser:
        context = await browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = await context.new_page()
        seen = watch(page)
        await page.goto(f"{base}/draws/398", wait_until="networkidle")
        links = page.locator("#trend ~ figure p.downloads a")
        assert await links.all_inner_texts() == ["CSV", "SVG", "PNG", "Vega-Lite spec"]
        files = {}
        for label in ("CSV", "SVG", "PNG"):
            async with page.expect_download() as download_info:
                await links.filter(has_text=label).click()
            download = await download_info.value
            files[label] = (download.suggested_filename, (await download.path()).read_bytes())
        spec_url = await links.filter(has_text="Vega-Lite").get_attribute("href")
        rows = await page.locator("#trend ~ figure details table tbody tr").count()
        await context.close()
    seen.assert_clean()
    stem = "eedraws-crs-healthcare-from-2023-01-01-highlight-398-2026-04-15"
    assert {label: name for label, (name, _) in files.items()} == {
        "CSV": f"{stem}.csv",
        "SVG": f"{stem}.svg",
        "PNG": f"{stem}.png",
    }
    csv = pd.read_csv(io.BytesIO(files["CSV"][1]), dtype={"number": "string"})
    assert list(csv["number"]) == [d["number"] for d in line] and rows == len(line)
    assert f"#398: {draw['crs_min']}".encode() in files["SVG"][1]
    assert files["PNG"][1].startswith(b"\x89PNG")
    assert spec_url is not None
    spec = get_json(base + spec_url)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


async def test_the_error_pages_look_like_the_rest_of_the_site(base: str) -> None:
    async with chromium() as browser, watched_page(browser) as (page, seen):
        looks = []
        for path in ("/", "/errors", "/errors/not_found"):
            await page.goto(base + path, wait_until="networkidle")
            looks.append(
                await page.evaluate(
                    """() => [getComputedStyle(document.body).fontFamily,
                        getComputedStyle(document.querySelector('header.site')).backgroundColor,
                        getComputedStyle(document.querySelector('main')).maxWidth]"""
                )
            )
        heading = await page.locator("h1").inner_text()
        seen.assert_clean()
    assert looks[0] == looks[1] == looks[2], looks
    assert heading == "not_found: Not found (404)"
