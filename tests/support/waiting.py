"""Waiting for something to happen, bounded in time: never a fixed sleep."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable
from types import TracebackType
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


class LoadDuring:
    """The load factor of the seconds a measurement takes, not of the minute before it.

        with LoadDuring() as load:
            ...  # timed
        budget = 0.020 * load.factor()

    ``os.getloadavg()[0]`` decays over a minute: a 7 s window weighs ~11 % in it, so load
    that comes with the window (another test's servers, a browser, a second test run) barely
    shows, and load that has just gone still does. This samples the run queue itself (the
    running count in /proc/loadavg, less this sampler) every 10 ms in a thread, and the factor
    is that of the window's busiest second: a p99 is made in the worst part of a window.
    Without /proc/loadavg (not Linux), the 1-minute ``load_factor()``.
    """

    EVERY = 0.01

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []  # (seconds from the start, others running)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> LoadDuring:
        self._started = time.monotonic()
        if os.path.exists("/proc/loadavg"):
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.EVERY):
            with open("/proc/loadavg") as loadavg:
                running = int(loadavg.read().split()[3].split("/")[0])
            self.samples.append((time.monotonic() - self._started, running - 1))

    def per_second(self) -> list[float]:
        """The mean count of other tasks running or runnable in each second (a last part of
        one, under a fifth of its samples, is too few to tell)."""
        seconds: dict[int, list[int]] = {}
        for at, running in self.samples:
            seconds.setdefault(int(at), []).append(running)
        return [
            sum(counts) / len(counts)
            for _, counts in sorted(seconds.items())
            if len(counts) >= 0.2 / self.EVERY
        ]

    def factor(self) -> float:
        busiest = max(self.per_second(), default=None)
        if busiest is None:
            return load_factor()
        return min(max(busiest / (os.cpu_count() or 1), 1.0), MAX_LOAD_FACTOR)
