"""Prometheus metrics, aggregated across granian's worker processes.

``eedraws serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before any worker
starts (``prepare_multiprocess_dir``), so every worker's ``prometheus_client`` writes its values
there and a scrape reads them all. /metrics is never public by default: it is served on its own
port (``EEDRAWS_METRICS_PORT``, by the server's main process) and, only when
``EEDRAWS_METRICS_TOKEN`` is set, on the API port to ``Authorization: Bearer <token>``. It is
never cached (the answer says ``no-store``) and sits outside the rate limit (it is answered
before the app, by ``Instrumented``).

What to watch: docs/operations.md ("Metrics").
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
import shutil
import time
from collections.abc import Iterable, Sequence
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
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.db import query
from api.response_cache.layer import ASGIApp as ASGIApp
from api.response_cache.layer import Receive, Scope, Send

log = logging.getLogger("eedraws.metrics")

METRICS_PATH = "/metrics"

REQUESTS = Counter(
    "eedraws_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "eedraws_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (cache hits included)",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
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
    collector = multiprocess.MultiProcessCollector(aggregated)  # type: ignore[no-untyped-call]
    aggregated.register(SecondsSinceLastIngest(collector))
    return aggregated


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


class Instrumented:
    """ASGI wrapper outermost of all: counts and times every HTTP answer, cache hits included,
    and answers /metrics to a bearer token when one is configured."""

    def __init__(
        self, app: ASGIApp, routes: RouteNames, *, token: str, multiprocess_dir: str
    ) -> None:
        self.app = app
        self.routes = routes
        self.token = token.encode()
        self.multiprocess_dir = multiprocess_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH and self.token:
            await self._metrics(scope, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            route = self.routes.name(scope["path"])
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)
            if status == 429:
                RATE_LIMITED.labels(route).inc()

    async def _metrics(self, scope: Scope, send: Send) -> None:
        given = dict(scope["headers"]).get(b"authorization", b"")
        if not hmac.compare_digest(given, b"Bearer " + self.token):
            await _answer(send, 401, b"text/plain", b"a bearer token is required\n",
                          [(b"www-authenticate", b'Bearer realm="metrics"')])  # fmt: skip
            return
        body = exposition(self.multiprocess_dir)
        await _answer(send, 200, CONTENT_TYPE_LATEST.encode(), body, [])


async def _answer(
    send: Send, status: int, content_type: bytes, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def cache_lookup(tier: str, hit: bool) -> None:
    CACHE.labels(tier, "hit" if hit else "miss").inc()


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
