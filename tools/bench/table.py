"""Markdown tables from one raw result file of bench.sh:  table.py RESULTS.txt

Raw lines: ``target workload req_per_s p50_ms p99_ms errors resp_bytes requests probe_bytes``
(``n/a`` and a reason when a cell was not measured). ``errors`` is wrk's count: socket errors and
HTTP statuses >= 400. Other unexpected answers (a 200 among 304s, a 304 or redirect among 200s)
show as a mean response size (``resp_bytes``) unlike the probe's single response: flagged.
Several passes in one file (BENCH_PASSES) merge into medians. Ratios are against nginx for the
same workload in the same file, never across runs: on a shared 2-core box absolute figures move
by 20-40% between runs.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from record import WORKLOADS

TARGETS = ("nginx", "warm", "cold", "304")
NAMES = {"nginx": "nginx (ceiling)", "warm": "app warm", "cold": "app cold", "304": "app 304"}
# From issue 5: warm >= 30% of nginx with p99 <= 20 ms; 304 >= warm.
WARM_SHARE, WARM_P99_MS = 0.30, 20.0
# From issue 19: cached answers keep p99 < 20 ms while new charts flood in.
MIXED_P99_MS = 20.0
MIXED = (
    ("mixed-alone", "W1 cached, alone (wrk -t1 -c4)"),
    ("mixed-flood", "W1 cached, during the chart flood (wrk -t1 -c4)"),
    ("flood", "the flood: new charts (wrk -t1 -c24), errors = 503s"),
)

# From issue 18: a tools/call for the latest draw on /mcp, beside W1 on the same app.
MCP = (("warm", "app warm"), ("cold", "app cold"))


# wrk's connections: each may add the bytes of one unfinished response to the byte count.
CONNECTIONS = 32


@dataclass(frozen=True)
class Cell:
    rps: float
    p50: float
    p99: float
    errors: int
    resp_bytes: int
    requests: int
    probe_bytes: int

    @property
    def mixed_answers(self) -> bool:
        """True when some answers were not the size of the probe's: another status or body."""
        slack = CONNECTIONS * self.probe_bytes / max(self.requests, 1) + 1
        return not self.probe_bytes - 1 <= self.resp_bytes <= self.probe_bytes + slack

    def errors_text(self) -> str:
        return f"{self.errors} + mixed answers" if self.mixed_answers else str(self.errors)


def read(path: Path) -> tuple[dict[tuple[str, str], Cell | str], list[str]]:
    """Cells by (target, workload); several passes of one cell merge into their median."""
    passes: dict[tuple[str, str], list[Cell]] = {}
    missing: dict[tuple[str, str], str] = {}
    comments = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            if not line.startswith("# target "):
                comments.append(line[1:].strip())
            continue
        target, workload, rps, p50, p99, errors, size, requests, probe_bytes = line.split()
        if rps in {"n/a", "error"}:
            missing[target, workload] = size if rps == "n/a" else "wrk failed"
        else:
            passes.setdefault((target, workload), []).append(Cell(
                float(rps), float(p50), float(p99), int(errors), int(size), int(requests),
                int(probe_bytes),
            ))  # fmt: skip
    cells: dict[tuple[str, str], Cell | str] = dict(missing)
    cells.update({key: median(runs) for key, runs in passes.items()})
    return cells, comments


def median(runs: list[Cell]) -> Cell:
    """Median req/s, p50 and p99; errors added up; the pass whose sizes were least in line."""
    worst = max(runs, key=lambda c: c.mixed_answers)
    return Cell(
        statistics.median(c.rps for c in runs),
        statistics.median(c.p50 for c in runs),
        statistics.median(c.p99 for c in runs),
        sum(c.errors for c in runs),
        worst.resp_bytes,
        worst.requests,
        worst.probe_bytes,
    )


def share(cell: Cell, ceiling: Cell | str | None) -> str:
    if not isinstance(ceiling, Cell) or ceiling.rps == 0:
        return "-"
    return f"{100 * cell.rps / ceiling.rps:.1f}%"


def measured(cell: Cell | str | None, ceiling: Cell | str | None, *, is_ceiling: bool) -> list[str]:
    """The measured columns of a row: req/s, % of nginx, p50, p99, errors (n/a and why)."""
    if not isinstance(cell, Cell):
        return [f"n/a ({cell or 'not run'})", "", "", "", ""]
    return [
        f"{cell.rps:,.0f}",
        "100%" if is_ceiling else share(cell, ceiling),
        f"{cell.p50:.2f}",
        f"{cell.p99:.2f}",
        cell.errors_text(),
    ]


def table_row(*columns: str) -> str:
    return "| " + " | ".join(columns) + " |"


def verdict(target: str, cell: Cell, ceiling: Cell | str | None, warm: Cell | str | None) -> str:
    if target == "warm" and isinstance(ceiling, Cell):
        ok = cell.rps >= WARM_SHARE * ceiling.rps and cell.p99 <= WARM_P99_MS
        return "met" if ok else "missed"
    if target == "304" and isinstance(warm, Cell):
        return "met" if cell.rps >= warm.rps else "missed"
    return ""


def mixed_table(cells: dict[tuple[str, str], Cell | str]) -> None:
    """The mixed cell: cached W1 alone and during a flood of new charts, and the flood."""
    if not any((target, "W1") in cells for target, _ in MIXED):
        return
    print()
    print("| mixed cell (issue 19) | req/s | p50 ms | p99 ms | errors | target |")
    print("|---|--:|--:|--:|--:|---|")
    for target, label in MIXED:
        cell = cells.get((target, "W1"))
        if not isinstance(cell, Cell):
            print(table_row(label, f"n/a ({cell or 'not run'})", "", "", "", ""))
            continue
        met = ""
        if target == "mixed-flood":
            met = "met" if cell.p99 < MIXED_P99_MS else "missed"
        columns = [f"{cell.rps:,.1f}", f"{cell.p50:.2f}", f"{cell.p99:.2f}", str(cell.errors)]
        print(table_row(label, *columns, met))


def mcp_table(cells: dict[tuple[str, str], Cell | str]) -> None:
    """The MCP cell: POST /mcp tools/call latest_draw, as a share of W1 on the same app."""
    if not any((f"mcp-{target}", "M1") in cells for target, _ in MCP):
        return
    print()
    print(
        "| MCP cell (issue 18) | server | req/s | % of W1 | p50 ms | p99 ms | errors "
        "| W1 req/s | W1 p99 ms |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for target, name in MCP:
        cell, w1 = cells.get((f"mcp-{target}", "M1")), cells.get((target, "W1"))
        if not isinstance(cell, Cell):
            print(table_row("M1 tools/call latest_draw", name, f"n/a ({cell or 'not run'})"))
            continue
        beside = [f"{w1.rps:,.0f}", f"{w1.p99:.2f}"] if isinstance(w1, Cell) else ["n/a", ""]
        columns = [f"{cell.rps:,.0f}", share(cell, w1), f"{cell.p50:.2f}", f"{cell.p99:.2f}"]
        print(table_row("M1 tools/call latest_draw", name, *columns, cell.errors_text(), *beside))


def main() -> int:
    cells, comments = read(Path(sys.argv[1]))
    print("\n".join(f"<!-- {c} -->" for c in comments))
    if not any(target == "nginx" for target, _ in cells):  # BENCH_MIXED_ONLY, BENCH_MCP_ONLY
        mcp_table(cells)
        mixed_table(cells)
        return 0
    print()
    print("| workload | server | req/s | % of nginx | p50 ms | p99 ms | errors | target |")
    print("|---|---|--:|--:|--:|--:|--:|---|")
    for w in WORKLOADS:
        ceiling, warm = cells.get(("nginx", w.id)), cells.get(("warm", w.id))
        for target in TARGETS:
            cell = cells.get((target, w.id))
            met = verdict(target, cell, ceiling, warm) if isinstance(cell, Cell) else ""
            columns = measured(cell, ceiling, is_ceiling=target == "nginx")
            print(table_row(f"{w.id} {w.label}", NAMES[target], *columns, met))
    print()
    print("| workload | nginx req/s | warm % of nginx | cold % of nginx | 304 % of nginx |")
    print("|---|--:|--:|--:|--:|")
    for w in WORKLOADS:
        ceiling = cells.get(("nginx", w.id))
        row = [f"{ceiling.rps:,.0f}" if isinstance(ceiling, Cell) else "n/a"]
        for target in TARGETS[1:]:
            cell = cells.get((target, w.id))
            row.append(share(cell, ceiling) if isinstance(cell, Cell) else "n/a")
        print(f"| {w.id} {w.label} | " + " | ".join(row) + " |")
    mcp_table(cells)
    mixed_table(cells)
    return 0


if __name__ == "__main__":
    sys.exit(main())
