"""A flood of chart URLs no cache holds yet, from a process of its own.

    python -m tests.support.chart_flood BASE_URL SECONDS CONNECTIONS FIRST

Each of CONNECTIONS threads asks for a new chart (SVG and PNG, every width, then every
``min_crs``) on a kept-alive connection; FIRST offsets the URLs, so two floods ask for
different charts. After SECONDS it prints the count of each status answered so far as JSON (0:
no answer) and exits, leaving the requests still waiting unanswered (their clients gone).
A process, not threads of the test: the test times other requests meanwhile, and must not
share a GIL with the flood's parsing of images.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit


def chart_path(n: int) -> str:
    suffix = "png" if n % 2 else "svg"
    return f"/v1/charts/crs.{suffix}?width={320 + n % 1281}&min_crs={n // 1281 % 400 + 100}"


def flood(base: str, seconds: float, connections: int, first: int) -> Counter[int]:
    parts = urlsplit(base)
    numbers = itertools.count(first)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def one_client() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        while True:
            with lock:
                path = chart_path(next(numbers))
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
            with lock:
                statuses[status] += 1

    for _ in range(connections):
        threading.Thread(target=one_client, daemon=True).start()
    time.sleep(seconds)
    with lock:
        return statuses.copy()


if __name__ == "__main__":
    base, seconds, connections, first = sys.argv[1:5]
    counts = flood(base, float(seconds), int(connections), int(first))
    print(json.dumps({str(status): count for status, count in counts.items()}), flush=True)
    os._exit(0)  # not waiting for the threads' requests still in flight
