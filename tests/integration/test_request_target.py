"""Requests no route can read, over a raw socket to a served instance (issue 19, items 1 and 3).

Every route the app has (walked from ``app.routes``, not listed by hand: static files, docs
and GraphiQL assets, ``/errors/...``, pages, feeds, GraphQL) answers a path with a NUL, a
control character, broken percent-encoding or UTF-8, a ``..`` segment or an over-long segment
with a 4xx problem+json, never a 500; and a request with two ``Host`` headers, or a ``Host``
that is not ``host[:port]``, is a 400 problem+json before any cache lookup (RFC 9112 3.2).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from api.app import create_app
from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.raw_http import problem_of, raw_get, raw_request
from tests.support.server import served

# Sent as written in the request line: nothing decodes or normalises them on the way.
HOSTILE_SEGMENTS = (
    b"%00",
    b"a%00b.css",
    b"%0a",
    b"%ff",
    b"caf%c3",
    b"%zz",
    b"100%",
    b"..",
    b"%2e%2e",
    b"a" * 300,
)
# What a path parameter of type ``path`` (a static file's name) is also given.
HOSTILE_FILE_PATHS = (b"../../../../etc/passwd", b"..%2f..%2f..%2fetc%2fpasswd", b"a/%00/b")
_PARAM = re.compile(r"\{(\w+):(\w+)\}")


@pytest.fixture(scope="module")
async def base(servers: Settings, template_db: str) -> AsyncIterator[str]:
    async with database_of_its_own(
        servers, template_db, "served", [FIXTURES / "rounds_2026.json"]
    ) as loaded:
        with served(loaded, env={"EEDRAWS_RATE_LIMIT": "off"}) as url:
            yield url


def hostile_targets() -> list[bytes]:
    """Per route: each hostile segment in each path parameter, or after a fixed path, and a
    ``..`` spliced in front of it."""
    targets = []
    for route in create_app(Settings()).routes:
        template = route.path.encode()
        params = _PARAM.findall(route.path)
        if not params:
            targets.append(template.rstrip(b"/") + b"/" + b"%00")
            targets.append(template + b"%ff")
            targets.append(b"/.." + template)
            continue
        for name, kind in params:
            tokens = HOSTILE_SEGMENTS + (HOSTILE_FILE_PATHS if kind == "path" else ())
            for token in tokens:
                target = template
                for other, other_kind in params:
                    value = token if other == name else b"x"
                    target = target.replace(f"{{{other}:{other_kind}}}".encode(), value)
                targets.append(target)
    return targets


def test_every_route_answers_unreadable_paths_with_a_4xx_problem(base: str) -> None:
    targets = hostile_targets()
    assert len(targets) > 200
    wrong = []
    for target in targets:
        status, headers, body = answer = raw_get(base, target)
        if not 400 <= status < 500 or headers.get("content-type") != "application/problem+json":
            wrong.append((target[:80], status, body[:120]))
            continue
        problem_of(answer)
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        (b"/assets/%00", "NUL"),
        (b"/assets/" + b"a" * 300, "at most 255"),
        (b"/assets/..%2f..%2fapi%2fapp.py", "`..`"),
        (b"/docs/assets/%ff", "not UTF-8"),
        (b"/v1/draws/%zz", "not followed by two hex digits"),
        (b"/draws/385%0d%0aSet-Cookie:%20a=b", "control character"),
    ],
)
def test_an_unreadable_path_says_what_is_wrong_with_it(
    base: str, target: bytes, detail: str
) -> None:
    problem = problem_of(raw_get(base, target))
    assert (problem["status"], problem["code"]) == (400, "bad_request")
    assert detail in problem["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        b"Host: a.example\r\nHost: b.example\r\n",
        b"Host: a.example\r\nhost: a.example\r\n",
        b"Host: a.example, b.example\r\n",
        b"Host: a.example/v1\r\n",
        b"Host: a b\r\n",
        b"Host: a.example:99999\r\n",
        b"Host: user@a.example\r\n",
        b"",
    ],
)
@pytest.mark.parametrize("target", [b"/v1/draws.atom", b"/v1/export.zip", b"/healthz"])
def test_a_request_with_two_hosts_or_a_bad_one_is_a_400_problem(
    base: str, headers: bytes, target: bytes
) -> None:
    problem = problem_of(raw_get(base, target, headers))
    assert (problem["status"], problem["code"]) == (400, "bad_request")
    assert "Host" in problem["detail"]


@pytest.mark.parametrize(
    "host", [b"127.0.0.1:8000", b"localhost", b"[::1]:8000", b"eedraws.example", b"api_1:8000"]
)
def test_a_host_that_is_a_host_and_port_is_served(base: str, host: bytes) -> None:
    status, _, _ = raw_get(base, b"/v1/status", b"Host: " + host + b"\r\n")
    assert status == 200


def test_http_1_0_may_leave_the_host_out(base: str) -> None:
    status, _, body = raw_request(base, b"GET /v1/status HTTP/1.0\r\n\r\n")
    assert status == 200, body
