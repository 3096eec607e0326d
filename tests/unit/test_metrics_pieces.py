"""api.metrics' pieces: route templates keep labels few; a 429 from any layer is counted."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from api.edge import Edge
from api.metrics import Recorder, RouteNames, route_templates


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
        "headers": [],
        "query_string": b"",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 429
    assert REGISTRY.get_sample_value("eedraws_rate_limited_requests_total", labels) == before + 1
