"""Waiting for something to happen, bounded in time: never a fixed sleep."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Check ``condition`` until it holds; fail saying ``what`` never happened."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {seconds}s")
        time.sleep(0.02)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for_json(url: str, seconds: float) -> Any:
    """GET ``url`` until a server answers it (a process still starting refuses connections)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get_json(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# On a machine whose run queue is k times its cores every answer waits about k times longer:
# time budgets stretch by that factor (capped: a stuck server is still caught). CI runs alone: ~1.
MAX_LOAD_FACTOR = 4.0


def load_factor() -> float:
    """How many times more runnable tasks than cores, over the last minute (at least 1)."""
    return min(max(os.getloadavg()[0] / (os.cpu_count() or 1), 1.0), MAX_LOAD_FACTOR)
