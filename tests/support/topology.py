"""The production topology on one machine, from Debian's packages: a PostgreSQL primary and a
streaming read replica (``pg_basebackup -R``), a ``redis-server``, ``eedraws serve`` replicas
and ``wrk`` for load. Everything listens on 127.0.0.1 on free ports and lives in one temporary
directory. As root, PostgreSQL runs as the ``postgres`` user (it refuses to run as root)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    if not found:
        raise RuntimeError("Debian's postgresql is not installed (make topology-deps)")
    return found[-1].parent


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def make_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="eedraws-topology-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    return root


@dataclass
class PgServer:
    root: Path
    name: str
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / self.name

    def _run(self, *cmd: str) -> str:
        done = subprocess.run(
            _as_postgres([str(postgres_bin() / cmd[0]), *cmd[1:]]),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def init_primary(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._configure(
            wal_level="replica",
            max_wal_senders="4",
            fsync="off",
            full_page_writes="off",
            synchronous_commit="off",
            shared_buffers="32MB",
        )

    def init_replica_of(self, primary: PgServer, apply_delay_ms: int) -> None:
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        # A replica that applies each commit late makes the race with the cache real.
        self._configure(hot_standby="on", recovery_min_apply_delay=f"{apply_delay_ms}ms")

    def _configure(self, **settings: str) -> None:
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.root}'",
            *(f"{k} = '{v}'" for k, v in settings.items()),
        ]
        subprocess.run(
            _as_postgres(["sh", "-c", f"cat >> {self.data}/postgresql.auto.conf"]),
            input="\n".join(lines) + "\n",
            text=True,
            check=True,
        )

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / f"{self.name}.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, user: str = "postgres", database: str = "eedraws") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "eedraws") -> str:
        done = subprocess.run(
            [
                str(postgres_bin() / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-Atqc",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout.strip()


@dataclass
class RedisServer:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise RuntimeError("redis-server is not installed (make topology-deps)")
        self.process = subprocess.Popen(
            [
                redis,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class ApiReplica:
    """One ``eedraws serve``, in its own process group (a pod: killing it kills its workers)."""

    root: Path
    name: str
    env: Mapping[str, str]
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, seconds: float = 90) -> None:
        log = (self.root / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=dict(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            try:
                get(f"{self.base}/v1/status", timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not up: {self.log_tail()}") from None
                time.sleep(0.1)

    def log_tail(self) -> str:
        return (self.root / f"{self.name}.log").read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a node or the OOM killer would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def terminate(self) -> float:
        """SIGTERM to the server process, as Kubernetes does; seconds until it exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)
        self.process = None
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None:
            try:
                self.terminate()
            except subprocess.TimeoutExpired:
                self.kill()


def get(url: str, timeout: float = 5, headers: Mapping[str, str] = {}) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get_json(url: str) -> object:
    status, body = get(url)
    assert status == 200, (url, status, body[:300])
    return json.loads(body)


WRK_SCRIPT = r"""
-- Mostly distinct filters, so most requests miss the cache and reach PostgreSQL.
local fixed = {"/v1/draws/latest", "/v1/status", "/v1/categories", "/v1/draws?limit=20"}
statuses = {}
function setup(thread) table.insert(threads, thread) end
threads = {}
function init(args) math.randomseed(os.time() + math.random(1, 100000)) end
function request()
  if math.random(1, 10) <= 6 then
    return wrk.format("GET", "/v1/draws?min_crs=" .. math.random(250, 800) ..
                      "&limit=" .. math.random(1, 60))
  end
  return wrk.format("GET", fixed[math.random(1, #fixed)])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, k .. "=" .. v) end
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
end
"""


@dataclass
class WrkResult:
    requests: int
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    output: str

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 400)

    @property
    def failed(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


class Wrk:
    """``wrk`` for a bounded time against one base URL, in the background."""

    def __init__(self, root: Path, base: str, seconds: float, connections: int = 8) -> None:
        script = root / "load.lua"
        script.write_text(WRK_SCRIPT)
        wrk = shutil.which("wrk")
        if wrk is None:
            raise RuntimeError("wrk is not installed (make topology-deps)")
        self.process = subprocess.Popen(
            [
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "3s",
                "-s",
                str(script),
                base,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def result(self) -> WrkResult:
        output, _ = self.process.communicate(timeout=120)
        requests = re.search(r"(\d+) requests in", output)
        statuses = re.search(r"STATUSES ?(.*)", output)
        errors = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
        )
        return WrkResult(
            requests=int(requests[1]) if requests else 0,
            statuses={
                int(k): int(v)
                for k, v in (p.split("=") for p in (statuses[1].split() if statuses else []))
            },
            socket_errors=dict(
                zip(
                    ("connect", "read", "write", "timeout"),
                    (int(n) for n in errors.groups()) if errors else (0, 0, 0, 0),
                    strict=True,
                )
            ),
            output=output,
        )


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "docs" / "operations.md"
APPLY_DELAY_MS = 300
# The read-only serving role of deploy/README.md: a login role in the group eedraws_read,
# whose grants migration 0003_read_role.sql gives.
READER = "eedraws_serve"

FIGURES: dict[str, str] = {}


class Topology:
    def __init__(self) -> None:
        self.root = make_root()
        self.primary = PgServer(self.root, "primary")
        self.replica = PgServer(self.root, "replica")
        self.redis = RedisServer(self.root)
        self.apis: list[ApiReplica] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EEDRAWS_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.primary.url(),
            DATABASE_READ_URL=self.replica.url(user=READER),
            DATABASE_READ_FALLBACK_URL=self.primary.url(user=READER),
            REDIS_URL=self.redis.url,
            EEDRAWS_SOURCE=str(FIXTURES / "rounds_2024.json"),
            EEDRAWS_REFRESH_INTERVAL="0",
            EEDRAWS_RATE_LIMIT="off",
            EEDRAWS_DATA_DIR=str(self.root / "data"),
            PYTHONPATH=str(REPO),
        )
        return env

    def start(self) -> None:
        self.primary.init_primary()
        self.primary.start()
        self.primary.psql("CREATE DATABASE eedraws", database="postgres")
        self.replica.init_replica_of(self.primary, APPLY_DELAY_MS)
        self.replica.start()
        self.redis.start()
        migrated = self.eedraws("migrate")
        assert migrated.returncode == 0, migrated.stderr
        self.create_serving_role()
        self.apis = [ApiReplica(self.root, name, self.env()) for name in ("api-a", "api-b")]
        for api in self.apis:
            api.start()

    def create_serving_role(self) -> None:
        # As on a managed PostgreSQL (deploy/README.md): the serving role is created by an
        # admin in the group the migrations grant SELECT to, and replays to the replica.
        self.primary.psql(f"CREATE ROLE {READER} LOGIN IN ROLE eedraws_read")

    def eedraws(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        for api in self.apis:
            api.kill()
        self.redis.stop()
        for server in (self.replica, self.primary):
            with contextlib.suppress(RuntimeError):
                server.stop("immediate")
        if os.environ.get("EEDRAWS_TOPOLOGY_KEEP"):
            print(f"topology: kept {self.root} (logs of every server)")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def write_figures() -> None:
    """Print the figures and write them to docs/operations.md, in their own section."""
    if not FIGURES:
        return
    lines = [f"- {name}: {value}" for name, value in FIGURES.items()]
    print("\n== topology figures ==\n" + "\n".join(lines))
    section = "\n".join(
        [
            "<!-- topology:begin (written by make test-topology) -->",
            "## Production topology, measured (`make test-topology`)",
            "",
            "Debian's PostgreSQL primary + streaming read replica (applying commits "
            f"{APPLY_DELAY_MS} ms late), redis-server, two `eedraws serve` replicas (1 worker "
            f"each) reading from the replica as the read-only role `{READER}`, wrk on loopback "
            "for a few seconds per fault, on this 2-core machine shared with other work. Last run:",
            "",
            *lines,
            "<!-- topology:end -->",
        ]
    )
    text = OPERATIONS.read_text() if OPERATIONS.exists() else "# Operations\n"
    begin, end = text.find("<!-- topology:begin"), text.find("<!-- topology:end -->")
    if begin >= 0 and end >= 0:
        text = text[:begin] + section + text[end + len("<!-- topology:end -->") :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    OPERATIONS.write_text(text)
