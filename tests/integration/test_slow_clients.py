"""Slow and lying clients against a real `eedraws serve`, over raw sockets: a body trickled one
byte a second, or shorter than its Content-Length, gets a 408 (or the connection closed) within
the body timeout; a client's requests in progress are capped; everyone else is answered."""

from __future__ import annotations

import contextlib
import http.client
import selectors
import socket
import threading
import time
from collections.abc import Iterator

import msgspec
import pytest

from api.settings import Settings
from tests.support.server import served
from tests.support.waiting import load_factor

BODY_TIMEOUT = 2.0
HEADER_TIMEOUT = 2.0
SLOW_CLIENTS = 2000  # twice the server's connection slots below
SLOTS = 1000
# A client that is not attacking: its own loopback address (the cap is per client address).
ATTACKER = "127.0.0.2"
GRAPHQL_HEAD = (
    b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n"
)
DOCUMENT = b'{"query": "{ latestDraw { number } }"}'


@pytest.fixture(autouse=True)
def _enough_descriptors() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 8192:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 16384), hard))


@pytest.fixture(scope="module")
def server(rounds_2026: Settings) -> Iterator[int]:
    """One server for the module (what it serves is only read): its port."""
    env = {"EEDRAWS_BODY_TIMEOUT": str(BODY_TIMEOUT), "EEDRAWS_TRUSTED_PROXY_HOPS": "1"}
    args = ["--header-timeout", str(HEADER_TIMEOUT), "--max-connections", str(SLOTS)]
    with served(rounds_2026, workers=1, env=env, args=args) as base:
        yield int(base.rsplit(":", 1)[1])


def _connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def _answer(sock: socket.socket, seconds: float) -> bytes:
    """What the server sent until it closed the connection (or ``seconds`` passed)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while data := sock.recv(65536):
            received += data
    except TimeoutError:
        return received + b"<still open>"
    except OSError:
        pass
    return received


def _get(port: int, path: str, seconds: float) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
    try:
        conn.request("GET", path)
        return conn.getresponse().status, time.monotonic() - started
    finally:
        conn.close()


class Trickle:
    """``count`` POSTs from ``source`` whose headers promise a body they send a byte a second,
    and when each one got its answer or was closed (seconds after its headers were sent)."""

    def __init__(self, port: int, count: int, source: str) -> None:
        self.socks: list[socket.socket] = []
        self.sent_at: dict[socket.socket, float] = {}
        for _ in range(count):
            sock = _connect(port, source)
            sock.sendall(GRAPHQL_HEAD % 1000 + b"{")
            self.sent_at[sock] = time.monotonic()
            sock.setblocking(False)
            self.socks.append(sock)
        self.ended: dict[socket.socket, float] = {}
        self.answers: dict[socket.socket, bytes] = {}
        self._stop = threading.Event()
        self._dripping = threading.Thread(target=self._drip, daemon=True)
        self._dripping.start()

    def _drip(self) -> None:
        while not self._stop.wait(1.0):
            for sock in self.socks:
                if sock not in self.ended:
                    with contextlib.suppress(OSError):
                        sock.send(b" ")

    def watch(self, seconds: float) -> None:
        """Read every socket until each is closed by the server, or ``seconds`` pass."""
        with selectors.DefaultSelector() as selector:
            for sock in self.socks:
                selector.register(sock, selectors.EVENT_READ)
            deadline = time.monotonic() + seconds
            while len(self.ended) < len(self.socks) and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=0.2):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    try:
                        data = sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if data:
                        self.answers[sock] = self.answers.get(sock, b"") + data
                        continue
                    self.ended[sock] = time.monotonic() - self.sent_at[sock]
                    selector.unregister(sock)

    def close(self) -> None:
        self._stop.set()
        self._dripping.join(5)
        for sock in self.socks:
            sock.close()

    def statuses(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for sock in self.socks:
            answer = self.answers.get(sock, b"")
            status = answer[9:12].decode() if answer.startswith(b"HTTP/1.1 ") else "closed"
            counted[status] = counted.get(status, 0) + 1
        return counted


def test_thousands_of_trickled_bodies_get_408_or_close_within_the_bound_and_lock_nobody_out(
    server: int,
) -> None:
    port = server
    load = load_factor()
    started = time.monotonic()
    trickle = Trickle(port, SLOW_CLIENTS, ATTACKER)
    opened = time.monotonic() - started
    try:
        # Everyone else is answered at once, while the trickles go on (locked out was: never).
        waits = []
        for _ in range(20):
            status, seconds = _get(port, "/v1/draws/latest", seconds=10)
            assert status == 200 and seconds < 1.0 * load, (status, seconds)
            waits.append(seconds)
        bound = BODY_TIMEOUT + 2.0 * load
        trickle.watch(bound + 1)
        statuses = trickle.statuses()
        print(
            f"\n  {SLOW_CLIENTS} trickles opened in {opened:.1f} s; others answered in at most "
            f"{max(waits) * 1000:.1f} ms; trickles answered {statuses}, the last "
            f"{max(trickle.ended.values()):.2f} s after its headers"
        )
        still_open = len(trickle.socks) - len(trickle.ended)
        assert still_open == 0, f"{still_open} trickled bodies still held; {statuses}"
        slowest = max(trickle.ended.values())
        assert slowest < bound, slowest
        # The client's first 64 requests wait out the body timeout, the rest are refused at once
        # (a refused connection may be reset before its 429 is read: closed either way).
        assert statuses.get("408", 0) >= 1 and statuses.get("408", 0) <= 64, statuses
        assert set(statuses) <= {"408", "429", "closed"}, statuses
    finally:
        trickle.close()


def test_a_body_shorter_than_its_content_length_gets_a_408_problem_within_the_bound(
    server: int,
) -> None:
    load = load_factor()
    cases = [
        GRAPHQL_HEAD % 500 + DOCUMENT,  # 500 promised, 40 sent
        GRAPHQL_HEAD.replace(b"Content-Length: %d", b"Transfer-Encoding: chunked")
        + b'5\r\n{"que\r\n',  # a chunked body never finished
        b"GET /v1/draws/latest HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc",
    ]
    socks = [_connect(port := server) for _ in cases]
    started = time.monotonic()
    for sock, raw in zip(socks, cases, strict=True):
        sock.sendall(raw)
    deadline = started + BODY_TIMEOUT + 10 * load
    for sock, raw in zip(socks, cases, strict=True):
        answer = _answer(sock, max(deadline - time.monotonic(), 0.01))
        seconds = time.monotonic() - started
        sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), (raw, answer)
        assert b"content-type: application/problem+json" in head and b"connection: close" in head
        assert msgspec.json.decode(body)["code"] == "request_timeout"
        assert BODY_TIMEOUT - 0.1 <= seconds < BODY_TIMEOUT + 2.0 * load, (raw, seconds)
    # A whole body is read and answered as ever.
    sock = _connect(port)
    sock.sendall(GRAPHQL_HEAD.replace(b"Host: x", b"Host: x\r\nConnection: close") % len(DOCUMENT))
    sock.sendall(DOCUMENT)
    assert _answer(sock, 10).startswith(b"HTTP/1.1 200 ")
    sock.close()


def test_a_client_over_its_requests_in_progress_gets_429_as_the_trusted_proxy_names_it(
    server: int,
) -> None:
    # One proxy (EEDRAWS_TRUSTED_PROXY_HOPS=1) in front: every request comes from one peer,
    # and the client is the address the proxy appended to X-Forwarded-For.
    def trickling(client: str) -> socket.socket:
        sock = _connect(server)
        head = GRAPHQL_HEAD.replace(b"Host: x", b"Host: x\r\nX-Forwarded-For: " + client.encode())
        sock.sendall(head % 1000 + b"{")
        return sock

    # The server reads connections in no set order: of 70 at once, any 64 wait for their bodies
    # (and get 408s) and the 6 others are refused.
    trickles = [trickling("203.0.113.7") for _ in range(70)]
    try:
        # Another client behind the same proxy is not refused: its body is read and answered.
        other = _connect(server)
        head = GRAPHQL_HEAD.replace(
            b"Host: x", b"Host: x\r\nConnection: close\r\nX-Forwarded-For: 198.51.100.2"
        )
        other.sendall(head % len(DOCUMENT) + DOCUMENT)
        assert _answer(other, 10).startswith(b"HTTP/1.1 200 ")
        other.close()
        deadline = time.monotonic() + BODY_TIMEOUT + 10
        answers = [_answer(sock, max(deadline - time.monotonic(), 0.01)) for sock in trickles]
        refused = [a for a in answers if a.startswith(b"HTTP/1.1 429 ")]
        timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408 ")]
        assert (len(refused), len(timed_out)) == (6, 64), [a[:12] for a in answers]
        head, _, body = refused[0].partition(b"\r\n\r\n")
        assert b"retry-after: 1" in head and b"connection: close" in head
        assert msgspec.json.decode(body)["code"] == "concurrency_limited"
    finally:
        for sock in trickles:
            sock.close()
