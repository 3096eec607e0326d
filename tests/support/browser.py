"""Headless Debian chromium through playwright, watching what a person's browser would show.

Debian's ``chromium`` at /usr/bin/chromium (``make browser-deps`` installs it), never
``playwright install``: it downloads a browser build, which this project's machines cannot.

    async with chromium() as browser, watched_page(browser) as (page, seen):
        await page.goto(f"{base}/docs")
        ...
        seen.assert_clean()

``seen`` collects console errors, uncaught page errors, failed requests and 4xx/5xx answers
(and every URL requested, to check a page loads nothing from elsewhere).
Sync tests use ``sync_chromium()`` and ``watch(page)`` the same way.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip (locally) or fail (in CI, where ``make browser-deps`` must have installed it)."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: run `make browser-deps` (as root, on Debian)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def launch_options() -> dict[str, Any]:
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@dataclass
class Seen:
    """What went wrong on a page, as the browser reported it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"page error: {m}" for m in self.page_errors),
            *(f"request failed: {m}" for m in self.failed_requests),
            *(f"error response: {m}" for m in self.error_responses),
        ]

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "the browser saw:\n" + "\n".join(problems)


def watch(page: Any) -> Seen:
    """Collect a page's problems from now on; works for the sync and the async API alike."""
    seen = Seen()

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            seen.console_errors.append(f"{message.text} ({location.get('url', '?')})")

    def on_request_failed(request: Any) -> None:
        seen.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            request = response.request
            seen.error_responses.append(f"{response.status} {request.method} {response.url}")

    page.on("console", on_console)
    page.on("request", lambda request: seen.requested.append(request.url))
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    return seen


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless chromium (``playwright.async_api.Browser``), closed on exit."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options())
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def watched_page(browser: Any) -> AsyncIterator[tuple[Any, Seen]]:
    """A fresh page in its own context (no shared cookies or cache), and what it saw."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        yield page, watch(page)
    finally:
        await context.close()


@contextmanager
def sync_chromium() -> Iterator[Any]:
    """The same for sync tests (``playwright.sync_api.Browser``); not inside a running loop."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            yield browser
        finally:
            browser.close()


# What a page's layout gets wrong on a screen, as the browser lays it out (issue 21):
# - the page is wider than the window (a sideways scroll of the whole page);
# - a region scrolls sideways, so part of it is hidden with no hint (a table's last column);
#   code viewers that scroll by design (``ALLOWED_SCROLLERS``) excepted;
# - an ISO date drawn on more than one line (broken at a hyphen).
ALLOWED_SCROLLERS = (".graphiql-response",)
LAYOUT_PROBLEMS = """(allowed) => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth) {
    problems.push(`the page is ${root.scrollWidth} px wide in a ${innerWidth} px window`);
  }
  for (const e of document.querySelectorAll('body *')) {
    const overflow = getComputedStyle(e).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1
        && e.getClientRects().length && !allowed.some(s => e.closest(s))) {
      problems.push(`${e.tagName.toLowerCase()}.${e.className} scrolls sideways: ` +
        `${e.scrollWidth} px in ${e.clientWidth}`);
    }
  }
  const date = /\\d{4}-\\d{2}-\\d{2}(?:[ T]\\d{2}:\\d{2}(?::\\d{2})?Z?(?: UTC)?)?/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('script, style, .CodeMirror')) continue;
    for (const match of node.data.matchAll(date)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
        .map(r => Math.round(r.top)));
      if (lines.size > 1) problems.push(`the date ${match[0]} is broken across lines`);
    }
  }
  return problems;
}"""


def layout_problems(page: Any) -> Any:
    """``LAYOUT_PROBLEMS`` of the page as laid out now (an awaitable with the async API)."""
    return page.evaluate(LAYOUT_PROBLEMS, list(ALLOWED_SCROLLERS))
