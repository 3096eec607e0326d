"""make screenshots: PNGs of the pages at a phone's and a desktop's width, to look at.

Starts `eedraws serve` on a free loopback port (the dev store in .eedraws, or DATABASE_URL),
unless EEDRAWS_URL names a running server; drives Debian's chromium through playwright
(tests/support/browser.py); writes screenshots/<page>-<width>.png (ignored by git).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import launch_options  # noqa: E402

OUT = ROOT / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
PAGES = {"dashboard": "/", "standing": "/?crs=481#standing", "draw": "/draws/385"}


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


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    with server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            for device, (width, height) in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES.items():
                    page.goto(base + path, wait_until="networkidle")
                    target = OUT / f"{name}-{device}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target.relative_to(ROOT))
                page.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
