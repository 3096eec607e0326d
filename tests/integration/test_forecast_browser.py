"""The next round's band on the charts and the pages, as a person sees them in chromium, on
IRCC's real file (the fixtures have too few rounds for an estimate)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from api.settings import Settings
from tests.support.browser import chromium, watched_page
from tests.support.db import Ingest
from tests.support.ircc_rounds import OFFICIAL, SHARED_DATA
from tests.support.server import served

pytestmark = pytest.mark.skipif(
    not OFFICIAL.exists(),
    reason=f"the shared IRCC snapshots are not beside the repo ({SHARED_DATA})",
)

# Each drawn mark of the estimate layers (aria-roledescription set in api/charts/specs.py), its
# box on screen, and the right edge of every drawn line.
BANDS = """() => {
  const boxes = role => [...document.querySelectorAll(`[aria-roledescription="${role}"]`)]
    .filter(mark => mark.tagName === 'path')
    .map(mark => mark.getBoundingClientRect())
    .map(b => [b.left, b.right, b.top, b.bottom]);
  const lines = [...document.querySelectorAll('[aria-roledescription="line mark"]')]
    .map(path => path.getBoundingClientRect().right);
  const texts = [...document.querySelectorAll('text')].map(t => t.textContent);
  return {wide: boxes('estimate: 95% interval'), narrow: boxes('estimate: 80% interval'),
          lines, texts};
}"""


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


async def test_the_cut_off_chart_draws_the_next_round_band_after_the_last_point(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(OFFICIAL)
    with served(settings) as base:
        (cec,) = get_json(f"{base}/v1/forecasts/next?category=cec")
        made = cec["crs_min"]
        async with chromium() as browser, watched_page(browser) as (page, seen):
            response = await page.goto(f"{base}/?category=cec", wait_until="networkidle")
            assert response is not None and response.status == 200
            words = await page.locator("#next-round").inner_text()
            assert "Next round: an estimate, not a promise" in words
            assert (
                f"Estimate for the next Canadian Experience Class round: a cut-off of about "
                f"{made['estimate']:g}"
            ) in words
            held = made["backtest"][0]
            assert (
                f"In past rounds, 80% intervals held {held['covered_80']} of "
                f"{held['intervals_80']} times"
            ) in words
            headline = page.locator("#cut-offs ~ figure img")
            alt = await headline.get_attribute("alt")
            assert alt and f"a cut-off of about {made['estimate']:g}" in alt
            chart_url = await headline.evaluate("img => img.currentSrc")
            seen.assert_clean()

        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(chart_url, wait_until="networkidle")
            drawn = await page.evaluate(BANDS)
            seen.assert_clean()
        assert len(drawn["wide"]) == len(drawn["narrow"]) == 1
        (wide,), (narrow,) = drawn["wide"], drawn["narrow"]
        # After the last point, the 80% band inside the 95% one (y grows downwards).
        assert wide[0] > max(drawn["lines"])
        assert wide[2] <= narrow[2] < narrow[3] <= wide[3]
        assert f"estimate {made['estimate']:g}" in drawn["texts"]


async def test_a_round_page_says_why_its_line_has_no_estimate(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(OFFICIAL)
    with served(settings) as base:
        (line,) = get_json(f"{base}/v1/forecasts/next?category=healthcare")
        assert line["status"] == "insufficient_history"
        async with chromium() as browser, watched_page(browser) as (page, seen):
            await page.goto(f"{base}/draws/{line['last_round']['number']}")
            words = await page.locator("#next-round").inner_text()
            seen.assert_clean()
        assert line["message"] in words
        assert "a cut-off of about" not in words
