"""HTTP/1.1 as bytes on a socket: what a hostile client sends, with nothing normalised.

A client library would merge two ``Host`` headers, resolve ``..`` or re-encode ``%ff``; these
helpers send the bytes as written and read the whole answer (the request says
``Connection: close``, or the server closes after a refusal).
"""

from __future__ import annotations

import json
import socket
from typing import Any


def raw_request(
    base: str, request: bytes, timeout: float = 30
) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` on a fresh socket to ``base`` (http://host:port); status, headers, body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def raw_get(
    base: str, target: bytes, headers: bytes = b"Host: eedraws.test\r\n"
) -> tuple[int, dict[str, str], bytes]:
    """``GET target`` with ``headers`` (each ending in CRLF) as given."""
    return raw_request(
        base, b"GET " + target + b" HTTP/1.1\r\n" + headers + b"Connection: close\r\n\r\n"
    )


def problem_of(answer: tuple[int, dict[str, str], bytes]) -> dict[str, Any]:
    """The problem+json document of a refusal (asserts that is what it is)."""
    status, headers, body = answer
    assert headers.get("content-type") == "application/problem+json", (status, headers, body)
    document: dict[str, Any] = json.loads(body)
    assert document["status"] == status, document
    return document
