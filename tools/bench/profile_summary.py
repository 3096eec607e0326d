"""Summarise py-spy's collapsed stacks (``-f raw``):  profile_summary.py STACKS.txt [TOP]

Prints the share of samples spent in each function (file and function, lines merged):
inclusive (anywhere on the stack, counted once per stack) and self (the innermost Python frame,
which also carries the C, Cython or Rust code it called: a socket write in asyncpg's protocol
counts as asyncpg's), then self time grouped by package.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str | None:
    match = FRAME.match(frame.strip())
    if not match:
        return None  # process / thread labels
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


# --native: stacks of threads running no Python (granian's Rust runtime: HTTP, sockets).
NATIVE_ONLY = "(no Python frame: granian's Rust threads)"

# Self time by where the innermost Python frame lives (first match wins).
PACKAGES = (
    ("asyncpg (pool, protocol, socket I/O to PostgreSQL)", "asyncpg/"),
    ("the response cache layer (api/response_cache/)", "api/response_cache/"),
    ("CSV export (api/exports.py)", "api/exports.py"),
    (
        "GraphQL layer (api/graphql, strawberry, graphql-core)",
        ("api/graphql", "strawberry/", "graphql/"),
    ),
    ("the app's reads and handlers (api/)", "api/"),
    ("Litestar (routing, middleware, DI, responses)", "litestar/"),
    ("granian and the event loop (uvloop, asyncio)", ("granian/", "asyncio/", "uvloop/")),
)


def package(name: str) -> str:
    if name == NATIVE_ONLY:
        return name
    for label, markers in PACKAGES:
        for marker in (markers,) if isinstance(markers, str) else markers:
            if f"({marker}" in name or f"/{marker}" in name:
                return label
    return "other"


def main() -> int:
    path, top = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in (short(x) for x in stack.split(";")) if f and ".py)" in f]
        total += n
        for name in set(frames):
            inclusive[name] += n
        self_time[frames[-1] if frames else NATIVE_ONLY] += n
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples (active time of the worker's Python threads)")
    print()
    print("| inclusive | function |")
    print("|--:|---|")
    for name, n in inclusive.most_common(top):
        print(f"| {100 * n / total:.1f}% | `{name}` |")
    print()
    print("| self | function |")
    print("|--:|---|")
    for name, n in self_time.most_common(15):
        print(f"| {100 * n / total:.1f}% | `{name}` |")
    by_package: Counter[str] = Counter()
    for name, n in self_time.items():
        by_package[package(name)] += n
    print()
    print("| self, by package | |")
    print("|--:|---|")
    for name, n in by_package.most_common():
        print(f"| {100 * n / total:.1f}% | {name} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
