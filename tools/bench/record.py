"""Record each workload's answer from the running app and render nginx's config to replay it.

    record.py WARM_URL COLD_URL RUN_DIR NGINX_PORT

Writes, under RUN_DIR:
  static/wN            the bytes the warm app answered (nginx serves them: the static ceiling)
  workloads.tsv        one row per workload: id, method, path, status, content type, ETag,
                       POST body file ('-' for none); bench.sh reads it to run wrk
  nginx/nginx.conf     nginx on 127.0.0.1:NGINX_PORT answering the same paths with the same
                       bytes and content type (a POST answered with the static file)
Warnings (stderr) when the cold app answers different bytes than the warm one, or a 304 probe
does not answer 304 with an empty body.
"""

from __future__ import annotations

import http.client
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

BENCH_SRC = Path(__file__).resolve().parent
# W6 follows next_cursor this many times from W2's first page: a real cursor, a page deep in.
DEEP_PAGES = 4


@dataclass(frozen=True)
class Workload:
    id: str
    label: str
    path: str
    body_file: Path | None = None  # POST this JSON body (GraphQL)


WORKLOADS = (
    Workload("W1", "latest draw", "/v1/draws/latest"),
    Workload("W2", "newest 50 draws", "/v1/draws?limit=50"),
    Workload("W3", "yearly stats by category", "/v1/stats/yearly?group_by=category"),
    Workload("W4", "all draws as CSV", "/v1/draws.csv"),
    Workload("W5", "GraphQL newest 20 + category", "/graphql", BENCH_SRC / "bodies" / "w5.json"),
    Workload("W6", f"page {DEEP_PAGES + 1} of 50 (cursor)", "/v1/draws?limit=50&cursor={cursor}"),
    Workload("W7", "cut-off chart (SVG)", "/v1/charts/crs.svg"),
    Workload("W8", "dashboard (HTML)", "/"),
    Workload("W9", "next-round estimates", "/v1/forecasts/next"),
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def request(base: str, w: Workload, path: str, extra: dict[str, str] | None = None) -> Answer:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = dict(extra or {})
    body = None
    if w.body_file is not None:
        body = w.body_file.read_bytes()
        headers["Content-Type"] = "application/json"
    try:
        conn.request("POST" if body is not None else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()


def deep_page_path(base: str, w2: Workload) -> str | None:
    """The path of page DEEP_PAGES + 1, found by following next_cursor (None if the list ends)."""
    path = w2.path
    for _ in range(DEEP_PAGES):
        answer = request(base, w2, path)
        if answer.status != 200:
            return None
        cursor = json.loads(answer.body).get("next_cursor")
        if not cursor:
            return None
        path = f"{w2.path}&cursor={quote(cursor, safe='')}"
    return path


def nginx_conf(port: int, run_dir: Path, rows: list[tuple[Workload, str, Answer]]) -> str:
    static = run_dir / "static"
    by_uri, locations, posts = [], [], []
    for w, path, answer in rows:
        ctype = answer.headers.get("content-type", "application/octet-stream").replace('"', "")
        locations.append(
            f'        location = /_bench/{w.id} {{ internal; types {{}} default_type "{ctype}";'
            f" alias {static / w.id}; }}"
        )
        if w.body_file is not None:
            # The static module answers POST with 405; error_page turns that into an internal
            # GET of the file, answered 200.
            posts.append(
                f"        location = {path} {{ error_page 405 =200 /_bench/{w.id}; return 405; }}"
            )
        else:
            by_uri.append(f'        "{path}" /_bench/{w.id};')
    template = (BENCH_SRC / "nginx.conf.tmpl").read_text()
    return (
        template.replace("@PREFIX@", str(run_dir / "nginx"))
        .replace("@PORT@", str(port))
        .replace("@BY_URI@", "\n".join(by_uri))
        .replace("@LOCATIONS@", "\n".join(locations + posts))
    )


def main() -> int:
    warm, cold, run_dir, nginx_port = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    (run_dir / "static").mkdir(parents=True, exist_ok=True)
    (run_dir / "nginx").mkdir(parents=True, exist_ok=True)
    served: list[tuple[Workload, str, Answer]] = []
    tsv = []
    for w in WORKLOADS:
        path = deep_page_path(warm, WORKLOADS[1]) if w.id == "W6" else w.path
        if path is None:
            print(f"record: {w.id}: no page {DEEP_PAGES + 1} to point a cursor at", file=sys.stderr)
            tsv.append((w, w.path, 0, "-", "-"))
            continue
        answer = request(warm, w, path)
        etag = answer.headers.get("etag", "-")
        print(
            f"record: {w.id} {path[:60]}: HTTP {answer.status}, {len(answer.body)} bytes, "
            f"{answer.headers.get('content-type')}, ETag {etag}",
            file=sys.stderr,
        )
        tsv.append((w, path, answer.status, answer.headers.get("content-type", "-"), etag))
        if answer.status != 200:
            continue
        if w.body_file is not None and b'"errors"' in answer.body:
            print(f"record: WARNING {w.id}: the GraphQL answer holds errors", file=sys.stderr)
        (run_dir / "static" / w.id).write_bytes(answer.body)
        served.append((w, path, answer))
        cold_answer = request(cold, w, path)
        if (cold_answer.status, cold_answer.body) != (answer.status, answer.body):
            print(
                f"record: WARNING {w.id}: the cold app answered HTTP {cold_answer.status} with "
                f"{len(cold_answer.body)} bytes, the warm app {len(answer.body)} bytes",
                file=sys.stderr,
            )
        if etag != "-":
            again = request(warm, w, path, {"If-None-Match": etag})
            if again.status != 304 or again.body:
                print(
                    f"record: WARNING {w.id}: If-None-Match {etag} answered HTTP {again.status} "
                    f"with {len(again.body)} bytes, not 304 with none",
                    file=sys.stderr,
                )
    with open(run_dir / "workloads.tsv", "w") as out:
        for w, path, status, ctype, etag in tsv:
            method = "POST" if w.body_file else "GET"
            body = str(w.body_file) if w.body_file else "-"
            out.write("\t".join((w.id, method, path, str(status), ctype, etag, body)) + "\n")
    (run_dir / "nginx" / "nginx.conf").write_text(nginx_conf(int(nginx_port), run_dir, served))
    return 0


if __name__ == "__main__":
    sys.exit(main())
