"""`eedraws serve` as a process: killed workers are replaced and lose no queued connection; idle
clients lock no one out and are closed; SIGTERM answers every connection the kernel accepted."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import signal
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest

from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.server import served
from tests.support.waiting import wait_until


def workers_of(base: str) -> list[psutil.Process]:
    """granian's worker processes: children of the `eedraws serve` listening on base's port."""
    server = _server_of(int(base.rsplit(":", 1)[1]))
    # Workers are forked: same command line as the server (Redis, also a child, is not).
    return [
        child
        for child in server.children()
        if child.status() != psutil.STATUS_ZOMBIE and child.cmdline() == server.info["cmdline"]
    ]


def _server_of(port: int) -> psutil.Process:
    return next(
        p
        for p in psutil.process_iter(["cmdline"])
        if p.info["cmdline"] and "serve" in p.info["cmdline"] and str(port) in p.info["cmdline"]
    )


def get(base: str, path: str, timeout: float = 5.0) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


async def test_a_worker_killed_with_sigkill_is_replaced_and_the_others_keep_answering(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings, workers=2) as base:
        deadline = time.monotonic() + GENEROUS
        while len(before := workers_of(base)) < 2:
            assert time.monotonic() < deadline, "two workers never came up"
            await asyncio.sleep(0.2)
        victim = before[0]
        os.kill(victim.pid, signal.SIGKILL)
        answered = 0
        failed: list[str] = []
        replaced = False
        deadline = time.monotonic() + GENEROUS
        while time.monotonic() < deadline and not (replaced and answered >= 50):
            try:
                assert get(base, "/v1/draws/latest", timeout=GENEROUS) == 200
                answered += 1
            except OSError as exc:
                failed.append(repr(exc))
            now = {w.pid for w in workers_of(base)}
            replaced = len(now) == 2 and victim.pid not in now
            await asyncio.sleep(0.02)
        assert replaced, "no new worker replaced the killed one"
        # One listening socket for all workers, held by the main process (api/serving.py): the
        # killed worker takes no queued connection with it, and a starting worker queues none.
        # Before, each worker had its own socket and queue: 8 of 58 requests were lost.
        assert answered >= 50 and failed == [], (answered, failed)
        assert get(base, "/readyz") == 200


# An overall bound for an event that takes a second or two alone and much longer on a loaded
# 2-core machine: the test waits for the event, and only fails if it never comes.
GENEROUS = 60.0


def _open(port: int, first_bytes: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first_bytes:
        sock.sendall(first_bytes)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while data := sock.recv(65536):
            del data
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def _closed_by(sock: socket.socket, deadline: float) -> bool:
    return _closed_within(sock, max(deadline - time.monotonic(), 0.01))


IDLE_CLIENTS = 1200  # above the ~1,024 that locked everyone out with granian's defaults
SLOW_CLIENTS = 300


async def test_idle_and_slow_header_clients_lock_nobody_out_and_are_closed_after_the_timeout(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    with served(settings, workers=1, args=["--header-timeout", "2"]) as base:
        port = int(base.rsplit(":", 1)[1])
        opened = time.monotonic()
        idle = [_open(port) for _ in range(IDLE_CLIENTS)]
        slow = [_open(port, b"GET /v1/draws HTTP/1.1\r\nHost: x\r\n") for _ in range(SLOW_CLIENTS)]
        kept_alive = _open(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        closed_after: list[float] = []

        def watch_first_silent_socket() -> None:
            if _closed_within(idle[0], GENEROUS):
                closed_after.append(time.monotonic() - opened)

        watcher = threading.Thread(target=watch_first_silent_socket, daemon=True)
        watcher.start()
        try:
            for _ in range(20):
                started = time.monotonic()
                assert get(base, "/v1/draws/latest", timeout=5) == 200
                # Locked out meant never answered; the bound leaves room for a loaded CI machine.
                assert time.monotonic() - started < 2.5
            assert kept_alive.recv(65536).startswith(b"HTTP/1.1 200")
            assert _closed_within(kept_alive, 4), "an idle kept-alive connection stayed open"
            assert all(_closed_within(s, 4) for s in slow[:20]), "a slow-header client stayed open"
            # Sockets that never sent a byte are closed too (granian in HTTP/1-only mode: in its
            # default auto mode they stayed open for ever), the first of them 2 s after they
            # opened, the last by the time all 1,200 have been accepted and timed out.
            watcher.join(GENEROUS)
            # Closed by the header timer (2 s), not at once: a client that connects early is
            # served; 6 s leaves room for a loaded machine.
            assert closed_after and 1.9 <= closed_after[0] <= 6, closed_after
            deadline = time.monotonic() + 4
            assert all(_closed_by(s, deadline) for s in idle), "a silent connection stayed open"
        finally:
            for sock in [*idle, *slow, kept_alive]:
                sock.close()


@pytest.fixture(autouse=True)
def _enough_descriptors() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def _accept_queue(port: int) -> int:
    """Connections the kernel completed on 127.0.0.1:port that the server has not accepted yet
    (for a listening socket, /proc/net/tcp's rx_queue is its accept queue; summed over the
    sockets listening there)."""
    queued = 0
    for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
        fields = line.split()
        if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A":  # LISTEN
            queued += int(fields[4].split(":")[1], 16)
    return queued


HALF_REQUEST = b"GET /v1/draws/latest HTTP/1.1\r\nHost: x\r\n"
END_OF_HEADERS = b"Connection: close\r\n\r\n"  # (kept alive, it would hold its slot)


def _refuses_new_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
    except OSError:
        return True
    return False


async def test_sigterm_answers_every_connection_the_kernel_accepted_and_refuses_new_ones(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    args = ["--max-connections", "4", "--header-timeout", "30"]
    with served(settings, workers=1, args=args) as base:
        port = int(base.rsplit(":", 1)[1])
        server = _server_of(port)
        # Four clients in the middle of their headers hold the worker's four connection slots...
        holding = [_open(port, HALF_REQUEST) for _ in range(4)]
        # ...so these ten, each with its whole request sent, wait in the kernel's accept queue.
        queued = [_open(port, HALF_REQUEST + END_OF_HEADERS) for _ in range(10)]
        try:
            wait_until(lambda: _accept_queue(port) == 10, GENEROUS, "ten connections queued")
            server.send_signal(signal.SIGTERM)
            # The listening socket stays open but takes no new connection...
            wait_until(lambda: _refuses_new_connections(port), GENEROUS, "new connections refused")
            for sock in holding:
                sock.sendall(END_OF_HEADERS)
            # ...while every connection it had accepted, held or queued, is answered.
            for sock in [*holding, *queued]:
                sock.settimeout(GENEROUS)
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 "), "a connection was dropped"
            assert server.wait(GENEROUS) == 0
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5)
        finally:
            for sock in [*holding, *queued]:
                sock.close()


async def test_a_killed_worker_takes_no_queued_connection_with_it(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    args = ["--max-connections", "2", "--header-timeout", "30"]
    with served(settings, workers=2, args=args) as base:
        port = int(base.rsplit(":", 1)[1])
        wait_until(lambda: len(workers_of(base)) == 2, GENEROUS, "two workers up")
        # Both workers' slots held by clients in the middle of their headers...
        holding = [_open(port, HALF_REQUEST) for _ in range(4)]
        wait_until(
            lambda: sum(len(_clients_of(w, port)) for w in workers_of(base)) == 4,
            GENEROUS,
            "four connections accepted",
        )
        # ...so these ten wait in the kernel's accept queue.
        queued = [_open(port, HALF_REQUEST + END_OF_HEADERS) for _ in range(10)]
        try:
            wait_until(lambda: _accept_queue(port) == 10, GENEROUS, "ten connections queued")
            victim = workers_of(base)[0]
            in_its_hands = _clients_of(victim, port)
            victim.kill()
            for sock in holding:
                with contextlib.suppress(OSError):
                    sock.sendall(END_OF_HEADERS)
            answered = []
            for sock in [*holding, *queued]:
                sock.settimeout(GENEROUS)
                try:
                    answered.append(sock.recv(65536).startswith(b"HTTP/1.1 200 "))
                except OSError:
                    answered.append(False)
            lost = {
                sock.getsockname()[1]
                for sock, ok in zip(holding, answered[: len(holding)], strict=True)
                if not ok
            }
            # The killed worker's own connections die with it; every queued one is answered by
            # the other worker or the new one. (Per-worker sockets reset the killed one's queue.)
            assert lost == in_its_hands and all(answered[len(holding) :]), (lost, answered)
        finally:
            for sock in [*holding, *queued]:
                sock.close()


def _clients_of(worker: psutil.Process, port: int) -> set[int]:
    """The client ports of the connections ``worker`` has accepted on ``port``."""
    return {
        c.raddr.port
        for c in worker.net_connections(kind="tcp")
        if c.laddr.port == port and c.raddr and c.status == psutil.CONN_ESTABLISHED
    }
