"""A request's body, read whole within a time bound before any handler sees it.

granian bounds a request's headers (hyper's ``header_read_timeout``) but nothing after them: a
body that trickles in, or a ``Content-Length`` larger than what is sent, kept a connection, its
slot and a task waiting for ever (granian issue #728, closed as "wontfix"). So the edge
(api/edge.py) reads any body of up to ``MAX_READ_BODY`` bytes itself, within the body timeout,
and hands the application a ``receive`` that replays it; past the bound the client gets a 408.

A body declared larger than ``MAX_READ_BODY`` is not read at all: no handler takes one (the
largest, GraphQL's, is refused over 200 KB by its ``Content-Length``), and the application is
told the client is gone if it asks for it. One sent chunked that grows past it is handed on as
far as it was read, the rest likewise gone: what reads it refuses it as too large.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

MAX_READ_BODY = 256 * 1024


class TimedOut(Exception):
    """The body did not arrive whole within the bound."""


class ClientGone(Exception):
    """The client closed its connection before its body was whole."""


def declared_body(headers: list[tuple[bytes, bytes]]) -> tuple[bool, int | None]:
    """Whether the request has a body, and its ``Content-Length`` (None: chunked, or not a
    number, which the server refuses before we see it)."""
    length: int | None = None
    has_body = False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
            has_body = length != 0
        elif name == b"transfer-encoding":
            has_body = True
    return has_body, length


async def _gone() -> Message:
    return {"type": "http.disconnect"}


def replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives ``body`` once, then what ``receive`` gives (a disconnect, for a
    response that listens for one); with ``more`` (the rest was not read) the client is gone."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if sent:
            return await (_gone() if more else receive())
        sent = True
        return {"type": "http.request", "body": body, "more_body": more}

    return replaying


async def _read(receive: Receive, length: int | None) -> Receive:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        # Once Content-Length bytes have come the body is whole: granian's closing empty
        # message would cost another round trip to its runtime (api/response_cache).
        if not message.get("more_body", False) or size == length:
            return replay(b"".join(chunks), False, receive)
        if size > MAX_READ_BODY:
            return replay(b"".join(chunks), True, receive)


class BodyReads:
    """Bodies being read in this worker, each stopped ``seconds`` after it started (0: never).

    One timer for them all, every ``tick`` seconds while any is being read, rather than one per
    request: a timer each (``asyncio.timeout``) cost a POST 8-25 us under uvloop, a tenth of a
    cached GraphQL answer; this costs it under 1 us and a body its 408 up to ``tick`` late."""

    def __init__(self, seconds: float, tick: float = 0.25) -> None:
        self.seconds = seconds
        self.tick = tick
        self.reading: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def read(self, receive: Receive, length: int | None) -> Receive:
        """Read the body and return a receive that replays it (see the module docstring).

        Raises ``TimedOut`` past the bound and ``ClientGone`` when the client leaves first."""
        if length is not None and length > MAX_READ_BODY:
            return _gone
        task = asyncio.current_task()
        if not self.seconds or task is None:
            return await _read(receive, length)
        loop = asyncio.get_running_loop()
        self.reading[task] = loop.time() + self.seconds
        if self._timer is None:
            self._timer = loop.call_later(self.tick, self._stop_late, loop)
        try:
            return await _read(receive, length)
        except asyncio.CancelledError:
            # Only receive() is awaited in here: the cancellation below lands in it.
            if task not in self._expired:
                raise
            task.uncancel()
            raise TimedOut from None
        finally:
            del self.reading[task]
            self._expired.discard(task)

    def _stop_late(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        for task, deadline in self.reading.items():
            if deadline <= now and task not in self._expired:
                self._expired.add(task)
                task.cancel()
        if self.reading:
            self._timer = loop.call_later(self.tick, self._stop_late, loop)
