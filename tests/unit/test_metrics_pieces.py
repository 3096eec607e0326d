"""api.metrics' pieces: route templates keep labels few; a 429 from any layer is counted; counts
kept in memory reach Prometheus' values as one observation at a time would have."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from prometheus_client import REGISTRY, Histogram

from api.edge import Edge
from api.metrics import FLUSH_SECONDS, LATENCY, Recorder, RouteNames, route_templates


def test_paths_are_labelled_with_their_route_template_and_strangers_with_other() -> None:
    names = RouteNames(route_templates(["/v1/draws/{number:str}", "/v1/draws/latest", "/v1/pool"]))
    assert names.name("/v1/draws/411") == "/v1/draws/{number}"
    assert names.name("/v1/draws/latest") == "/v1/draws/latest"
    assert names.name("/wp-admin/setup.php") == "other"


async def test_a_429_is_counted_as_rate_limited_whatever_answered_it() -> None:
    async def limiter(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 429, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    recorder = Recorder(RouteNames(["/v1/pool"]), token="", multiprocess_dir="")
    app = Edge(limiter, db=lambda: None, metrics=recorder)
    labels = {"route": "/v1/pool"}
    before = REGISTRY.get_sample_value("eedraws_rate_limited_requests_total", labels) or 0.0
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "path": "/v1/pool",
        "method": "GET",
        "headers": [(b"host", b"eedraws.test")],
        "query_string": b"",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 429
    assert REGISTRY.get_sample_value("eedraws_rate_limited_requests_total", labels) == before + 1


async def test_counts_kept_in_memory_reach_the_values_as_observe_would_have_put_them() -> None:
    route = f"/test/{uuid.uuid4().hex}"  # a label of its own in the process-wide registry
    recorder = Recorder(RouteNames([route]), token="", multiprocess_dir="")
    durations = [0.0003, 0.0005, 0.004, 0.004, 0.3, 20.0]
    for seconds in durations:
        recorder.record(route, "GET", 200, seconds)
    recorder.cache_lookup("local", True)
    labels = {"route": route, "method": "GET", "status": "200"}
    assert REGISTRY.get_sample_value("eedraws_http_requests_total", labels) is None  # not yet
    recorder.flush()
    assert REGISTRY.get_sample_value("eedraws_http_requests_total", labels) == len(durations)
    # The same observations, one at a time, into a histogram of the same buckets.
    reference = Histogram("reference", "", buckets=LATENCY._upper_bounds[:-1], registry=None)
    for seconds in durations:
        reference.observe(seconds)
    expected = {
        s.labels["le"]: s.value for s in next(iter(reference.collect())).samples if "le" in s.labels
    }
    for le, value in expected.items():
        got = REGISTRY.get_sample_value(
            "eedraws_http_request_duration_seconds_bucket", {"route": route, "le": le}
        )
        assert got == value, le
    got_sum = REGISTRY.get_sample_value(
        "eedraws_http_request_duration_seconds_sum", {"route": route}
    )
    assert got_sum == sum(durations)
    assert expected["+Inf"] == len(durations)


async def test_a_pending_count_is_flushed_by_itself_soon_after() -> None:
    route = f"/test/{uuid.uuid4().hex}"
    recorder = Recorder(RouteNames([route]), token="", multiprocess_dir="")
    recorder.record(route, "GET", 200, 0.001)
    labels = {"route": route, "method": "GET", "status": "200"}
    deadline = asyncio.get_running_loop().time() + FLUSH_SECONDS + 2
    while REGISTRY.get_sample_value("eedraws_http_requests_total", labels) is None:
        assert asyncio.get_running_loop().time() < deadline, "never flushed"
        await asyncio.sleep(0.05)
