"""A killed eedraws process must not keep the embedded PostgreSQL running forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from api.embedded import forget_dead_handles, servers_for
from api.settings import Settings

# A process that opens the embedded servers and is then killed, like `eedraws ingest` by the
# OOM killer or `kill -9`: it never removes its handle.
HOLDER = """
import sys, time
from pathlib import Path
from api.embedded import servers_for
from api.settings import Settings
with servers_for(Settings(data_dir=Path(sys.argv[1]), redis_url="unix:///nonexistent")):
    print("ready", flush=True)
    time.sleep(600)
"""


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_forget_dead_handles_drops_only_exited_processes(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / ".handle_pids.json").write_text(json.dumps([gone.pid, os.getpid()]))
    assert forget_dead_handles(tmp_path) == [gone.pid]
    assert json.loads((tmp_path / ".handle_pids.json").read_text()) == [os.getpid()]


def test_after_a_killed_process_the_next_one_still_stops_postgresql_on_exit(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        first = holder.stdout.readline().strip()
        assert first == "ready", first or holder.communicate(timeout=10)[1]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    pgdata = data_dir / "pg"
    postmaster = _postmaster_pid(pgdata)
    assert postmaster is not None and _running(postmaster), "the killed holder left it running"
    assert holder.pid in json.loads((pgdata / ".handle_pids.json").read_text())

    with servers_for(Settings(data_dir=data_dir, redis_url="unix:///nonexistent")):
        pass

    deadline = time.monotonic() + 10
    while _running(postmaster):
        assert time.monotonic() < deadline, "PostgreSQL still running after the last user exited"
        time.sleep(0.1)
