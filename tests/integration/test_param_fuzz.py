"""No 5xx from parameters: every query and path parameter of every REST operation, read from
the app's own OpenAPI, gets NULs, huge and negative integers, floats, invalid UTF-8 and 10 KB
strings; each answer is a 2xx/3xx or a 4xx problem+json, never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]

# Sent as written: percent-escapes stay escapes, so %00 is a NUL and %FF%FE invalid UTF-8.
HOSTILE = (
    "%00",
    "a%00b",
    "%FF%FE",
    "caf%C3",
    "9" * 40,
    "2147483648",
    "-2147483649",
    "-1",
    "1.5",
    "1e3",
    "",
    "x" * 10_240,
)
# A valid value for each path parameter, so the others can be fuzzed one at a time.
VALID_PATH = {"number": "411", "slug": "healthcare", "snapshot_date": "2026-04-12"}


@pytest.fixture
def api(client_2026: Client) -> Client:
    return client_2026


def operations(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    found = []
    for path, item in spec["paths"].items():
        get = item.get("get")
        if get is None or not path.startswith("/v1/"):
            continue
        params = [p for p in get.get("parameters", []) if p["in"] in ("query", "path")]
        found.append((path, params))
    return found


def url_for(path: str, query: str = "", **path_values: str) -> str:
    for name, default in VALID_PATH.items():
        path = path.replace(f"{{{name}}}", path_values.get(name, default))
    return f"{path}?{query}" if query else path


async def test_no_parameter_value_gives_a_server_error(api: Client) -> None:
    spec = (await api.get("/openapi.json")).json()
    ops = operations(spec)
    assert len(ops) >= 20
    sent = 0
    failures = []
    for path, params in ops:
        assert "{" not in url_for(path), f"no valid value for a path parameter of {path}"
        for param in params:
            for value in HOSTILE:
                if param["in"] == "path":
                    if value == "":
                        continue
                    url = url_for(path, **{param["name"]: value})
                else:
                    url = url_for(path, f"{param['name']}={value}")
                answer = await api.get(url, follow_redirects=False)
                sent += 1
                status = answer.status_code
                problem_json = answer.headers.get("content-type") == "application/problem+json"
                if status >= 500 or (400 <= status < 500 and not problem_json):
                    failures.append((url[:120], status, answer.text[:200]))
    assert not failures, failures
    assert sent > 300
