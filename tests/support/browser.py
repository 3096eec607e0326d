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
