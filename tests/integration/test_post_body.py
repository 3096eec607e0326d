"""A POSTed GraphQL query through the real server (granian): however its body arrives (in one
piece, split across reads, chunked, longer than one read), it is answered and cached alike, and
the connection stays open for the next request.

The edge stops reading a body once its Content-Length has come, without asking the server for
its closing empty message (api/response_cache/layer.py ``read_body``): these tests hold that
this changes nothing a client sees.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.response_cache.layer import read_body
from api.settings import Settings
from tests.support.server import served

QUERY = "{ latestDraw { number crsMin } }"


@pytest.fixture(scope="module")
def base(rounds_2026: Settings) -> Iterator[str]:
    with served(rounds_2026, env={"EEDRAWS_RATE_LIMIT": "off"}) as url:
        yield url


def connect(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def answer(conn: http.client.HTTPConnection) -> tuple[int, str, bytes, bool]:
    response = conn.getresponse()
    body = response.read()
    return response.status, response.getheader("etag") or "", body, response.will_close


def posted_whole(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, str, bytes, bool]:
    conn.request("POST", "/graphql", body=body, headers={"Content-Type": "application/json"})
    return answer(conn)


def posted_split(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, str, bytes, bool]:
    """Content-Length, with the body sent in two writes a moment apart: two reads."""
    conn.putrequest("POST", "/graphql")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    half = len(body) // 2
    conn.send(body[:half])
    time.sleep(0.2)
    conn.send(body[half:])
    return answer(conn)


def posted_chunked(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, str, bytes, bool]:
    """No Content-Length: Transfer-Encoding chunked, in three chunks."""
    third = len(body) // 3
    pieces = iter([body[:third], body[third : 2 * third], body[2 * third :]])
    conn.request(
        "POST",
        "/graphql",
        body=pieces,
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    return answer(conn)


def test_a_query_is_answered_alike_whole_split_or_chunked_on_one_kept_alive_connection(
    base: str,
) -> None:
    body = json.dumps({"query": QUERY}).encode()
    conn = connect(base)
    try:
        first = posted_whole(conn, body)
        sock = conn.sock
        answers = {
            "whole, again (a hit)": posted_whole(conn, body),
            "split across two reads": posted_split(conn, body),
            "chunked": posted_chunked(conn, body),
            "whole, after the others": posted_whole(conn, body),
        }
        assert conn.sock is sock, "the server closed the connection"
    finally:
        conn.close()
    status, etag, made, will_close = first
    assert status == 200 and etag and not will_close
    assert json.loads(made)["data"]["latestDraw"]["number"]
    for how, (status, same_etag, same, will_close) in answers.items():
        assert (status, same_etag, same, will_close) == (200, etag, made, False), how


def test_a_body_longer_than_one_read_is_keyed_by_all_of_it(base: str) -> None:
    # Two documents that differ only past the first 40 KB (whitespace is no GraphQL token):
    # granian hands such a body over in several reads.
    padding = " " * 40_000
    numbers = json.dumps({"query": padding + "{ latestDraw { number } }"}).encode()
    scores = json.dumps({"query": padding + "{ latestDraw { crsMin } }"}).encode()
    conn = connect(base)
    try:
        got: dict[str, Any] = {}
        for name, body in (("numbers", numbers), ("scores", scores)):
            for _ in range(2):  # made, then from the cache
                status, etag, made, _ = posted_split(conn, body)
                assert status == 200, made
                got.setdefault(name, set()).add((etag, made))
    finally:
        conn.close()
    assert all(len(answers) == 1 for answers in got.values()), got
    ((numbers_etag, numbers_body),) = got["numbers"]
    ((scores_etag, scores_body),) = got["scores"]
    assert numbers_etag != scores_etag
    assert list(json.loads(numbers_body)["data"]["latestDraw"]) == ["number"]
    assert list(json.loads(scores_body)["data"]["latestDraw"]) == ["crsMin"]


async def test_reading_stops_at_the_content_length_without_asking_for_the_empty_end() -> None:
    # What granian sends for a 10-byte body read in two pieces: each piece with more_body,
    # then an empty closing message.
    messages = [
        {"type": "http.request", "body": b"12345", "more_body": True},
        {"type": "http.request", "body": b"67890", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
    ]
    asked = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return messages[asked - 1]

    assert await read_body(receive, 100, 10) == (b"1234567890", False)
    assert asked == 2
    asked = 0
    # Without a Content-Length (chunked) the closing message is what says the body ended.
    assert await read_body(receive, 100, None) == (b"1234567890", False)
    assert asked == 3
    asked = 0
    # Past the limit: what was read, and the flag that more is coming.
    assert await read_body(receive, 4, None) == (b"12345", True)
    assert asked == 1
