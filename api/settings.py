"""The one place that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

OFFICIAL_SOURCE = "https://www.canada.ca/content/dam/ircc/documents/json/ee_rounds_123_en.json"


class SettingsError(ValueError):
    """An environment variable holds a value eedraws cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable, read once from the environment.

    ``database_url`` / ``redis_url`` empty means "start the embedded server in ``data_dir``".
    ``database_url`` is the owner (migrations, ingest, refresh); ``database_read_url`` is what
    requests are served from: a read-only role, possibly on a replica (empty: ``database_url``).
    """

    database_url: str = ""
    database_read_url: str = ""
    # The primary as the serving role, read while DATABASE_READ_URL's replica is down.
    database_read_fallback_url: str = ""
    redis_url: str = ""
    data_dir: Path = Path(".eedraws")
    source: str = OFFICIAL_SOURCE
    refresh_interval: float = 1800.0
    cache_enabled: bool = True
    cache_max_entries: int = 4096
    fetch_timeout: float = 30.0
    # /metrics: its own port (0: none) served by `eedraws serve`'s main process, and/or the API
    # port to `Authorization: Bearer <token>` (empty: not there). Never public by default.
    metrics_port: int = 0
    metrics_token: str = ""
    # prometheus_client's multi-process directory (its own variable); `serve` makes one if unset.
    metrics_dir: str = ""
    # Limits on serving connections (seconds; 0 = none): a slow query is a 503, not a stuck worker.
    # db_deadline bounds a read in all (a connection, the query, its answer): the one clock that
    # runs when PostgreSQL hangs; the others are kept under it (docs/operations.md).
    statement_timeout: float = 1.5
    idle_in_transaction_timeout: float = 10.0
    pool_timeout: float = 2.0
    db_deadline: float = 2.0
    # /readyz's own limit on its PostgreSQL check: a probe hears 503 before its timeout.
    ready_timeout: float = 0.5
    # Requests per client per window (``limits`` syntax: 1000/minute, 20/second), or "off".
    rate_limit: str = "1000/minute"
    # How many proxies in front of the API append to X-Forwarded-For (0: use the peer address).
    trusted_proxy_hops: int = 0
    # Slow and lying clients (docs/operations.md, "Connections"): a request's headers must arrive
    # within header_timeout of its connection opening (or of its previous answer), its body
    # within body_timeout after them; each client may have client_concurrency requests in
    # progress per worker (0: no limit), the client as trusted_proxy_hops says.
    header_timeout: float = 5.0
    body_timeout: float = 10.0
    client_concurrency: int = 64
    # Wall-clock seconds a /graphql request may take.
    graphql_timeout: float = 10.0
    # The origin clients reach the API at (https://eedraws.example): absolute links (feeds,
    # the MCP server's allowed Host) are built from it, never from a request's Host header.
    # Empty: the request's own origin, which is what `make run` on loopback wants.
    public_url: str = ""
    # The port `eedraws serve` listens on (0: not known, e.g. an app built in a test): with no
    # public_url, /mcp answers the loopback names on this port (api/mcp/server.py).
    port: int = 0
    # Chart processes per worker (each draws one chart at a time), and how many charts may
    # wait for one before a new one is a 503 (api/charts/drawers.py).
    chart_processes: int = 1
    chart_queue: int = 8
    # Persisted queries (APQ) a client may register per window (``limits`` syntax, or "off"),
    # and the largest document kept (bytes); api/graphql/persisted.py.
    apq_registrations: str = "100/hour"
    apq_max_bytes: int = 20_000

    @property
    def serving_database_url(self) -> str:
        return self.database_read_url or self.database_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=env.get("DATABASE_URL", ""),
            database_read_url=env.get("DATABASE_READ_URL", ""),
            database_read_fallback_url=env.get("DATABASE_READ_FALLBACK_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            data_dir=Path(env.get("EEDRAWS_DATA_DIR", ".eedraws")),
            source=env.get("EEDRAWS_SOURCE", OFFICIAL_SOURCE),
            refresh_interval=_number(env, "EEDRAWS_REFRESH_INTERVAL", 1800.0),
            cache_enabled=_switch(env, "EEDRAWS_CACHE", True),
            cache_max_entries=int(_number(env, "EEDRAWS_CACHE_MAX_ENTRIES", 4096)),
            fetch_timeout=_number(env, "EEDRAWS_FETCH_TIMEOUT", 30.0),
            metrics_port=int(_number(env, "EEDRAWS_METRICS_PORT", 0)),
            metrics_token=env.get("EEDRAWS_METRICS_TOKEN", ""),
            metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
            statement_timeout=_number(env, "EEDRAWS_STATEMENT_TIMEOUT", 1.5),
            idle_in_transaction_timeout=_number(env, "EEDRAWS_IDLE_IN_TRANSACTION_TIMEOUT", 10.0),
            pool_timeout=_number(env, "EEDRAWS_POOL_TIMEOUT", 2.0),
            db_deadline=_number(env, "EEDRAWS_DB_DEADLINE", 2.0),
            ready_timeout=_number(env, "EEDRAWS_READY_TIMEOUT", 0.5),
            rate_limit=env.get("EEDRAWS_RATE_LIMIT", "1000/minute").strip() or "1000/minute",
            trusted_proxy_hops=int(_number(env, "EEDRAWS_TRUSTED_PROXY_HOPS", 0)),
            header_timeout=_number(env, "EEDRAWS_HEADER_TIMEOUT", 5.0),
            body_timeout=_number(env, "EEDRAWS_BODY_TIMEOUT", 10.0),
            client_concurrency=int(_number(env, "EEDRAWS_CLIENT_CONCURRENCY", 64)),
            graphql_timeout=_number(env, "EEDRAWS_GRAPHQL_TIMEOUT", 10.0),
            public_url=_origin(env, "EEDRAWS_PUBLIC_URL"),
            port=_count(env, "EEDRAWS_PORT", 0),
            chart_processes=_count(env, "EEDRAWS_CHART_PROCESSES", 1, least=1),
            chart_queue=_count(env, "EEDRAWS_CHART_QUEUE", 8),
            apq_registrations=env.get("EEDRAWS_APQ_REGISTRATIONS", "").strip() or "100/hour",
            apq_max_bytes=_count(env, "EEDRAWS_APQ_MAX_BYTES", 20_000, least=1),
        )


def _number(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None
    if value < 0:
        raise SettingsError(f"{key}={raw!r} must be >= 0")
    return value


def _count(env: Mapping[str, str], key: str, default: int, *, least: int = 0) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise SettingsError(f"{key}={raw!r}: give a whole number from {least}")
    return int(raw)


def _switch(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "on", "true", "yes"}:
        return True
    if raw in {"0", "off", "false", "no"}:
        return False
    raise SettingsError(f"{key}={raw!r}: use on or off")


def _origin(env: Mapping[str, str], key: str) -> str:
    """``scheme://host[:port]`` with no trailing slash, or "" when unset."""
    raw = env.get(key, "").strip()
    if not raw:
        return ""
    try:
        parts = urlsplit(raw)
        port = parts.port  # a port that is not a number raises here
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{key}={raw!r}: give an origin such as https://eedraws.example")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise SettingsError(f"{key}={raw!r}: an origin only, with no path, query or user")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
