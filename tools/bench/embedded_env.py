"""Hold the bench's embedded PostgreSQL and Redis up until told to stop:

    embedded_env.py DATA_DIR ENV_FILE

Starts (or joins) the servers `eedraws serve` would use for DATA_DIR, through the app's own
`api.embedded.servers_for`, writes ``DATABASE_URL=...`` and ``REDIS_URL=...`` lines to ENV_FILE,
and waits for SIGTERM/SIGINT. On exit it stops what it started (PostgreSQL only once no other
process still holds it). servers.sh uses it so that granian and uvicorn serve from the very same
PostgreSQL and Redis, whichever of them starts or stops first.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from api.embedded import servers_for
from api.settings import Settings


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> int:
    data_dir, env_file = Path(sys.argv[1]), Path(sys.argv[2])
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["EEDRAWS_DATA_DIR"] = str(data_dir)
    with servers_for(Settings.from_env(env)) as resolved:
        tmp = env_file.with_suffix(".tmp")
        tmp.write_text(f"DATABASE_URL={resolved.database_url}\nREDIS_URL={resolved.redis_url}\n")
        tmp.rename(env_file)
        while True:
            signal.pause()


if __name__ == "__main__":
    sys.exit(main())
