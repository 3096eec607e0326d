"""Prometheus metrics, aggregated across granian's worker processes.

``eedraws serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before any worker
starts (``prepare_multiprocess_dir``), so every worker's ``prometheus_client`` writes its values
there and a scrape reads them all. /metrics is never public by default: it is served on its own
port (``EEDRAWS_METRICS_PORT``, by the server's main process) and, only when
``EEDRAWS_METRICS_TOKEN`` is set, on the API port to ``Authorization: Bearer <token>``. It is
never cached (the answer says ``no-store``) and sits outside the rate limit (it is answered
before the app, by the edge layer: api/edge.py).

What to watch: docs/operations.md ("Metrics").

Recording is on the path of every request, cache hits included, so it is kept cheap: a request
adds to plain counts in the worker's memory, flushed to the Prometheus values at most
``FLUSH_SECONDS`` later (``Recorder``), and in multi-process mode the values' check for a fork
reads a PID cached in this process (refreshed after a fork) instead of asking the kernel at
every increment (``os.getpid`` was most of the recording's cost).
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import glob
import hmac
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.db import query

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Header = tuple[bytes, bytes]
# The edge's finishing of an answer's headers (security headers...): api/edge.py.
Finish = Callable[[list[Header]], list[Header]]

log = logging.getLogger("eedraws.metrics")

METRICS_PATH = "/metrics"
# How long a worker's counts may wait before they reach the Prometheus values (Recorder).
FLUSH_SECONDS = 0.5


def _fork_aware_pid() -> Any:
    """``os.getpid`` as prometheus_client's multi-process values use it, without a syscall."""
    pid = [os.getpid()]
    os.register_at_fork(after_in_child=lambda: pid.__setitem__(0, os.getpid()))
    return lambda: pid[0]


# Before any metric below is made (each reads values.ValueClass when it makes its values):
# multi-process mode was chosen by PROMETHEUS_MULTIPROC_DIR when prometheus_client was first
# imported (`eedraws serve` sets it before importing this module).
if values.ValueClass is not values.MutexValue:
    values.ValueClass = values.MultiProcessValue(_fork_aware_pid())  # type: ignore[no-untyped-call]


REQUESTS = Counter(
    "eedraws_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_BOUNDS = (*(float(b) for b in _BUCKETS), math.inf)  # as prometheus_client keeps them
LATENCY = Histogram(
    "eedraws_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (cache hits included)",
    ["route"],
    buckets=_BUCKETS,
)
CACHE = Counter(
    "eedraws_cache_lookups",
    "Response cache lookups, by tier (local, redis) and result (hit, miss)",
    ["tier", "result"],
)
DATA_VERSION = Gauge("eedraws_data_version", "The data version served", multiprocess_mode="max")
LAST_INGEST = Gauge(
    "eedraws_last_ingest_timestamp_seconds",
    "When the last successful ingest finished (Unix time), as seen by the serving workers",
    multiprocess_mode="max",
)
REFRESH_FAILURES = Counter(
    "eedraws_refresh_failures", "Periodic refreshes from the source that failed"
)
RATE_LIMITED = Counter(
    "eedraws_rate_limited_requests", "Requests refused with 429 by the rate limit", ["route"]
)


def prepare_multiprocess_dir(directory: Path) -> None:
    """Empty ``directory`` (values of a previous run would be summed in) and create it."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


class SecondsSinceLastIngest(Collector):
    """``eedraws_seconds_since_last_ingest``, computed at scrape time from the timestamp."""

    def __init__(self, source: Collector) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        for family in self.source.collect():
            if family.name == "eedraws_last_ingest_timestamp_seconds" and family.samples:
                finished = max(s.value for s in family.samples)
                if finished > 0:
                    yield GaugeMetricFamily(
                        "eedraws_seconds_since_last_ingest",
                        "Seconds since the last successful ingest finished",
                        value=time.time() - finished,
                    )


def registry(multiprocess_dir: str) -> CollectorRegistry:
    """Every worker's values when ``multiprocess_dir`` is set; this process's otherwise."""
    if not multiprocess_dir:
        local = CollectorRegistry()
        local.register(_Forward(REGISTRY))
        local.register(SecondsSinceLastIngest(REGISTRY))
        return local
    aggregated = CollectorRegistry()
    collector = _SettledFiles(aggregated, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    aggregated.register(SecondsSinceLastIngest(collector))
    return aggregated


class _SettledFiles(multiprocess.MultiProcessCollector):
    """The workers' files, less any a worker is creating right now.

    prometheus_client opens a new file, then sizes it: a scrape in between read an empty file,
    and the struct error failed the whole scrape with a 500 (seen in test_metrics under load).
    An empty file holds no value yet, so leaving it out loses nothing."""

    def collect(self) -> Iterable[Metric]:
        files = []
        for name in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(name) > 0:
                    files.append(name)
            except FileNotFoundError:  # a dead worker's file, removed since the glob
                continue
        return self.merge(files, accumulate=True)  # type: ignore[no-untyped-call,no-any-return]


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Metric]:
        return self.source.collect()


def exposition(multiprocess_dir: str) -> bytes:
    return generate_latest(registry(multiprocess_dir))


class RouteNames:
    """Maps a request path to its route template, so labels stay few (``/v1/draws/{number}``)."""

    def __init__(self, templates: Sequence[str]) -> None:
        self._patterns = [
            (re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(t)) + "$"), t)
            for t in sorted(templates, key=lambda t: (t.count("{"), -len(t)))
        ]
        self.name = functools.lru_cache(maxsize=4096)(self._name)

    def _name(self, path: str) -> str:
        for pattern, template in self._patterns:
            if pattern.match(path):
                return template
        return "other"


def route_templates(paths: Iterable[str]) -> list[str]:
    """Litestar's ``/v1/draws/{number:str}`` as ``/v1/draws/{number}``."""
    return sorted({re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", p) for p in paths})


class Recorder:
    """Counts and times every HTTP answer (the edge layer, api/edge.py, tells it of each one,
    cache hits, probes and 429s included) and answers /metrics to a bearer token when one is
    configured.

    A request only adds to plain counts in this worker's memory; they are added to the
    Prometheus values (shared files in multi-process mode) at most ``FLUSH_SECONDS`` later, on
    a scrape this worker answers, and when the worker stops (``flush``).
    """

    def __init__(self, routes: RouteNames, *, token: str, multiprocess_dir: str) -> None:
        self.routes = routes
        self.token = token.encode()
        self.multiprocess_dir = multiprocess_dir
        self._counts: dict[tuple[str, str, int], int] = {}
        # Per route: the sum of the durations, then how many fell in each bucket.
        self._timings: dict[str, list[float]] = {}
        self._lookups: dict[tuple[str, bool], int] = {}
        self._flush: asyncio.TimerHandle | None = None

    def answers(self, path: str) -> bool:
        """Whether ``path`` is /metrics and is answered on this port."""
        return path == METRICS_PATH and bool(self.token)

    def record(self, path: str, method: str, status: int, seconds: float) -> None:
        route = self.routes.name(path)
        key = (route, method, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        timing = self._timings.get(route)
        if timing is None:
            timing = self._timings[route] = [0.0] * (len(_BOUNDS) + 1)
        timing[0] += seconds
        timing[1 + bisect.bisect_left(_BOUNDS, seconds)] += 1
        if status == 429:
            RATE_LIMITED.labels(route).inc()
        if self._flush is None:
            self._flush_soon()

    def cache_lookup(self, tier: str, hit: bool) -> None:
        """The response cache's lookups (``ResponseCache.on_lookup``)."""
        self._lookups[(tier, hit)] = self._lookups.get((tier, hit), 0) + 1
        if self._flush is None:
            self._flush_soon()

    def _flush_soon(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a caller outside the server): now, then
            self.flush()
            return
        self._flush = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Add what was counted since the last flush to the Prometheus values."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        counts, self._counts = self._counts, {}
        timings, self._timings = self._timings, {}
        lookups, self._lookups = self._lookups, {}
        for (route, method, status), n in counts.items():
            REQUESTS.labels(route, method, str(status)).inc(n)
        for route, timing in timings.items():
            # What Histogram.observe does one at a time, in bulk: the same values (the sum, and
            # each bucket's own count; the cumulative counts are made when scraped). Private
            # attributes: prometheus-client is bounded in pyproject.toml for it.
            child = LATENCY.labels(route)
            child._sum.inc(timing[0])
            for bucket, observed in zip(child._buckets, timing[1:], strict=True):
                if observed:
                    bucket.inc(observed)
        for (tier, hit), n in lookups.items():
            CACHE.labels(tier, "hit" if hit else "miss").inc(n)

    async def answer(self, scope: Scope, send: Send, finish: Finish) -> int:
        """/metrics to the bearer token, else a 401; returns the status sent."""
        given = next((bytes(v) for k, v in scope["headers"] if k == b"authorization"), b"")
        if not hmac.compare_digest(given, b"Bearer " + self.token):
            await _answer(send, 401, b"text/plain", b"a bearer token is required\n",
                          [(b"www-authenticate", b'Bearer realm="metrics"')], finish)  # fmt: skip
            return 401
        self.flush()
        body = exposition(self.multiprocess_dir)
        await _answer(send, 200, CONTENT_TYPE_LATEST.encode(), body, [], finish)
        return 200


async def _answer(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    extra: list[Header],
    finish: Finish,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": finish(headers)})
    await send({"type": "http.response.body", "body": body})


async def keep_last_ingest(reads: Any, every: float = 15.0) -> None:
    """Keep ``eedraws_last_ingest_timestamp_seconds`` current (runs for the worker's life)."""
    while True:
        try:
            seconds = await reads.fetchval(query("seconds_since_last_ingest"))
        except Exception as exc:
            log.debug("last ingest time unknown for now: %r", exc)
        else:
            if seconds is not None:
                LAST_INGEST.set(time.time() - float(seconds))
        await asyncio.sleep(every)
