"""Markdown tables from one raw result file of servers.sh:  servers_table.py RESULTS.txt

Same raw lines as bench.sh (table.py reads them; several passes merge into medians). Targets:
nginx, granian-warm, granian-cold, uvicorn-warm, uvicorn-cold. Ratios are taken within the
file only: nginx for the % column, and granian / uvicorn for the same workload and cache mode.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from record import WORKLOADS
from table import Cell, measured, read, table_row

SERVERS = ("granian", "uvicorn")
MODES = ("warm", "cold")


def main() -> int:
    cells, comments = read(Path(sys.argv[1]))
    print("\n".join(f"<!-- {c} -->" for c in comments))
    print()
    print("| workload | server | cache | req/s | % of nginx | p50 ms | p99 ms | errors |")
    print("|---|---|---|--:|--:|--:|--:|--:|")
    present = [w for w in WORKLOADS if any(k[1] == w.id for k in cells)]
    for w in present:
        ceiling = cells.get(("nginx", w.id))
        rows = [("nginx", "nginx (ceiling)", "")] + [
            (f"{s}-{m}", s, m) for m in MODES for s in SERVERS
        ]
        for key, server, mode in rows:
            columns = measured(cells.get((key, w.id)), ceiling, is_ceiling=key == "nginx")
            print(table_row(f"{w.id} {w.label}", server, mode, *columns))
    print()
    print("| workload | granian / uvicorn, warm | granian / uvicorn, cold |")
    print("|---|--:|--:|")
    ratios: dict[str, list[float]] = {m: [] for m in MODES}
    for w in present:
        row = []
        for m in MODES:
            g, u = cells.get((f"granian-{m}", w.id)), cells.get((f"uvicorn-{m}", w.id))
            if isinstance(g, Cell) and isinstance(u, Cell) and u.rps > 0:
                ratios[m].append(g.rps / u.rps)
                row.append(f"{g.rps / u.rps:.2f}x")
            else:
                row.append("n/a")
        print(f"| {w.id} {w.label} | " + " | ".join(row) + " |")
    summary = [
        f"{statistics.geometric_mean(ratios[m]):.2f}x" if ratios[m] else "n/a" for m in MODES
    ]
    print("| geometric mean | " + " | ".join(summary) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
