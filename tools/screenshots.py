"""make screenshots: PNGs of the pages at a phone's and a desktop's width, to look at, checked.

Starts `eedraws serve` on a free loopback port (the dev store in .eedraws, or DATABASE_URL),
unless EEDRAWS_URL names a running server; drives Debian's chromium through playwright
(tests/support/browser.py); writes screenshots/<page>-<width>.png (ignored by git). Each page is
checked as it is shot, its folded tables opened too: no sideways scroll of the page or of a
region, no date broken across lines, no console error or failed request. It exits 1 when a
page has any of them, naming each.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import launch_options, layout_problems, watch  # noqa: E402

OUT = ROOT / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
PAGES = {
    "dashboard": "/",
    "filtered": "/?category=healthcare&category=cec&from=2024-01-01&crs=481#standing",
    "standing": "/?crs=481#standing",
    "draw": "/draws/385",
    "graphql": "/graphql",
    "errors": "/errors",
    "error": "/errors/invalid_parameter",
    "missing": "/draws/9999",
}
# Answers that are the page's point, not a failure: a round no one has.
EXPECTED_STATUS = {"missing": 404}
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
CLOSE_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = false; })"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server() -> Iterator[str]:
    given = os.environ.get("EEDRAWS_URL")
    if given:
        yield given.rstrip("/")
        return
    port = free_port()
    env = {**os.environ, "EEDRAWS_REFRESH_INTERVAL": "0"}
    shared = ROOT.parent / "shared" / "data" / "ircc" / "ee_rounds_123_en.2026-04-21.json"
    if shared.exists() and "EEDRAWS_SOURCE" not in env:
        env["EEDRAWS_SOURCE"] = str(shared)
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/eedraws"), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/v1/status", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def shoot(page: Any, base: str, name: str, path: str, target: Path) -> list[str]:
    """Screenshot one page into ``target``; what is wrong with it, in words."""
    seen = watch(page)
    response = page.goto(base + path, wait_until="networkidle")
    problems = list(layout_problems(page))
    page.evaluate(OPEN_DETAILS)
    problems += [f"{p} (folded tables open)" for p in layout_problems(page)]
    page.evaluate(CLOSE_DETAILS)
    page.screenshot(path=str(target), full_page=True)
    status = response.status if response is not None else 0
    if status != EXPECTED_STATUS.get(name, 200):
        problems.append(f"answered {status}")
    # A page that answers 404 on purpose: the browser logs that answer; nothing else may fail.
    expected = str(EXPECTED_STATUS.get(name, ""))
    problems += [
        p
        for p in seen.problems()
        if not (expected and f"{expected} " in p and f"{base}{path}" in p)
    ]
    return problems


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    failed = []
    with server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            for device, (width, height) in WIDTHS.items():
                for name, path in PAGES.items():
                    page = browser.new_page(viewport={"width": width, "height": height})
                    target = OUT / f"{name}-{device}.png"
                    problems = shoot(page, base, name, path, target)
                    page.close()
                    print(target.relative_to(ROOT), "ok" if not problems else "")
                    for problem in problems:
                        print(f"  {problem}")
                    failed += [f"{name} at {width} px: {problem}" for problem in problems]
        finally:
            browser.close()
    if failed:
        raise SystemExit(f"{len(failed)} problems on the pages:\n" + "\n".join(failed))


if __name__ == "__main__":
    main()
