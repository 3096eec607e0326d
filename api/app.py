"""create_app(settings): wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any, cast

import asyncpg
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Contact, License, Server, Tag
from litestar.types import ASGIApp

from api import db, dependency_batches, edge, metrics, ratelimit, read_pool, refresh
from api.charts.drawers import ChartDrawers, DrawerConfig
from api.data_version import DataVersion
from api.graphql.controller import graphql_router
from api.graphql.persisted import Registrations
from api.graphql.posts import PlannedPosts
from api.mcp.server import McpEndpoint, mcp_route
from api.public_origin import PublicOrigin, absolute_link_paths
from api.reads import Db
from api.redis_client import redis_client
from api.response_cache import LocalLRU, RedisTier, ResponseCache, cacheable_post_paths
from api.rest.bulk import export_zip
from api.rest.categories import CATEGORY_ROUTES, CategoriesController
from api.rest.charts import CHART_ROUTES
from api.rest.docs import DOCS_PAGE, SwaggerUIPage, docs_assets_router
from api.rest.draws import DRAW_LIST_ROUTES, DrawsController
from api.rest.error_pages import ErrorPagesController
from api.rest.errors import problem_details_plugin
from api.rest.feeds import FEED_ROUTES
from api.rest.forecasts import FORECAST_ROUTES
from api.rest.formats import unknown_format_route
from api.rest.openapi import CompletedJson, openapi_json, operation_id
from api.rest.params import check_query_params, query_defaults
from api.rest.pool import POOL_BAND_ROUTES, POOL_ROUTES, PoolController
from api.rest.stats import YEARLY_ROUTES, StatusController
from api.rest.trends import SERIES_ROUTES, TrendsController
from api.settings import Settings
from api.web.pages import PagesController, assets_router, favicon, template_config

API_VERSION = "1.0.0"
SHUTDOWN_GRACE = 5.0
log = logging.getLogger("eedraws.app")


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="eedraws",
        version=API_VERSION,
        summary="Open data API for Canada's Express Entry rounds of invitations",
        description=(
            "Every official Express Entry round of invitations (IRCC), its category, cut-off "
            "CRS score, tie-breaking rule and the CRS distribution of the pool, as JSON. "
            "Data: Government of Canada, Open Government Licence - Canada. Errors are RFC 9457 "
            "problem+json; see docs/errors.md."
        ),
        contact=Contact(name="eedraws", url="https://github.com/eedraws/eedraws"),
        license=License(name="MIT (code); OGL-Canada (data)", identifier="MIT"),
        servers=[Server(url="/")],
        tags=[
            Tag(name="draws", description="Rounds of invitations"),
            Tag(name="categories", description="Programs and categories, with every name used"),
            Tag(name="pool", description="CRS distribution of the pool"),
            Tag(name="stats", description="Aggregates for trends"),
            Tag(name="charts", description="Charts as SVG, PNG, Vega-Lite spec and CSV"),
            Tag(name="status", description="Freshness of the data"),
            Tag(name="export", description="Everything at once: the bulk download"),
            Tag(name="series", description="Cut-offs and invitations over time, FRED-style"),
            Tag(name="standing", description="Where a CRS score stands in the pool and rounds"),
            Tag(
                name="forecasts",
                description="Next-round estimates with intervals, and the backtest behind them",
            ),
        ],
        operation_id_creator=operation_id,
        path="/docs",
        render_plugins=[SwaggerUIPage(), CompletedJson()],
    )


async def _writer_pool(settings: Settings) -> asyncpg.Pool | None:
    """The owner's pool for the periodic refresh: no serving time limits (an ingest is long)."""
    if settings.refresh_interval <= 0:
        return None
    unlimited = db.Timeouts(statement=0, idle_in_transaction=0, acquire=0, deadline=0)
    return await db.create_pool(settings.database_url, min_size=0, max_size=1, timeouts=unlimited)


async def _fallback_pool(settings: Settings, timeouts: db.Timeouts) -> asyncpg.Pool | None:
    if not settings.database_read_fallback_url:
        return None
    # No connection up front: it is only used while the replica is down.
    return await db.create_pool(settings.database_read_fallback_url, min_size=0, timeouts=timeouts)


_background: set[asyncio.Task[None]] = set()


def _spawn(work: Coroutine[Any, Any, None]) -> None:
    # A context of its own: spawned while serving a request, it must not spend that request's
    # database deadline (api.db.REQUEST_STARTED).
    task = asyncio.get_running_loop().create_task(work, context=contextvars.Context())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _reread_version(version: DataVersion, reads: read_pool.ReadPool) -> None:
    try:
        await version.refresh_from(cast(Any, reads))
    except (*read_pool.UNREACHABLE, asyncpg.PostgresError) as exc:
        log.warning("data_version check failed: %r", exc)


__all__ = ["app_from_env", "create_app", "openapi_config"]


def _rate_limiter(settings: Settings) -> ratelimit.RateLimiter | None:
    item = ratelimit.parse_rate_limit(settings.rate_limit)
    return None if item is None else ratelimit.RateLimiter(item, settings.redis_url)


def _apq_registrations(settings: Settings, client_of: ratelimit.ClientAddress) -> Registrations:
    item = ratelimit.parse_rate_limit(settings.apq_registrations, "EEDRAWS_APQ_REGISTRATIONS")
    limiter = (
        None if item is None else ratelimit.RateLimiter(item, settings.redis_url, name="rl-apq")
    )
    return Registrations(limiter, settings.apq_max_bytes, client_of)


def create_app(settings: Settings) -> Litestar:
    dependency_batches.resolve_sync_batches_inline()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        timeouts = db.Timeouts(
            statement=settings.statement_timeout,
            idle_in_transaction=settings.idle_in_transaction_timeout,
            acquire=settings.pool_timeout,
            deadline=settings.db_deadline,
        )
        # Requests read as the serving role (read-only); only the refresh writes, as the owner.
        # min_size=0: no connection is opened here, so a worker (re)started while PostgreSQL is
        # away starts and answers 503s instead of failing (granian would call it a crash loop).
        pool = await db.create_pool(settings.serving_database_url, min_size=0, timeouts=timeouts)
        fallback = await _fallback_pool(settings, timeouts)
        # Requests, and the data version their answers are cached under, read from one server
        # at a time (api/read_pool.py): the replica, or the primary while it is down.
        reads = read_pool.ReadPool(pool, fallback, timeouts=timeouts)
        # What handlers and resolvers read through: PostgreSQL failures become 503s there.
        app.state.pool = read_pool.ServingReads(reads) if fallback else db.ServingDb(pool, timeouts)
        version = response_cache.version
        # Reads may come from a replica that replays an ingest after its announcement.
        version.wait_for_announced = bool(settings.database_read_url)
        reads.on_switch.append(lambda: _spawn(_reread_version(version, reads)))
        writer = await _writer_pool(settings)
        # Charts are built and drawn in processes of their own, started on the first one.
        app.state.chart_drawers = drawers = ChartDrawers(
            DrawerConfig(
                serving_url=settings.serving_database_url,
                fallback_url=settings.database_read_fallback_url,
                timeouts=timeouts,
            ),
            processes=settings.chart_processes,
            queue=settings.chart_queue,
        )
        # Redis is a cache: every reader must cope with it being absent or down.
        client = redis_client(settings.redis_url)
        app.state.redis = response_cache.shared.client = client
        try:
            async with (
                version.kept_current(cast(Any, reads), client),
                refresh.running(reads.keep_healthy(lambda: version.version)),
                refresh.running(metrics.keep_last_ingest(reads)),
                refresh.refresher(settings, writer or pool, client),
                # The MCP server's task group; its mounted app's own lifespan never runs.
                mcp.running(),
            ):
                yield
        finally:
            app.state.metrics.flush()
            await drawers.aclose()
            try:
                # A request still holding a connection must not keep the worker from stopping.
                await asyncio.wait_for(pool.close(), SHUTDOWN_GRACE)
            except TimeoutError:
                log.warning("connections still busy after %ss; closing them", SHUTDOWN_GRACE)
                pool.terminate()
            if fallback is not None:
                await fallback.close()
            if writer is not None:
                await writer.close()
            if client is not None:
                await client.aclose()

    def provide_db(request: Request[Any, Any, Any]) -> Db:
        serving: Db = request.app.state.pool
        return serving

    cors_config = CORSConfig(allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"])
    # /mcp: AI assistants' questions, answered by the read layer (api/mcp/).
    mcp = McpEndpoint(settings, API_VERSION)
    app = Litestar(
        route_handlers=[
            DrawsController,
            CategoriesController,
            *CATEGORY_ROUTES,
            PoolController,
            StatusController,
            *CHART_ROUTES,
            *DRAW_LIST_ROUTES,
            *POOL_ROUTES,
            *POOL_BAND_ROUTES,
            export_zip,
            *YEARLY_ROUTES,
            unknown_format_route("/v1", ["draws", "pool", "categories"]),
            unknown_format_route("/v1/stats", ["yearly"]),
            *SERIES_ROUTES,
            unknown_format_route("/v1/series", ["crs", "invitations"]),
            TrendsController,
            *FORECAST_ROUTES,
            unknown_format_route("/v1/forecasts", ["next", "backtest"]),
            *FEED_ROUTES,
            graphql_router(settings.graphql_timeout),
            mcp_route(mcp),
            openapi_json,
            ErrorPagesController,
            PagesController,
            favicon,
            assets_router(),
            docs_assets_router(),
        ],
        dependencies={"db": Provide(provide_db, sync_to_thread=False)},
        before_request=check_query_params,
        plugins=[problem_details_plugin()],
        openapi_config=openapi_config(),
        template_config=template_config(),
        cors_config=cors_config,
        lifespan=[lifespan],
        # The CLI (or the ASGI server) configures logging; Litestar must not replace it.
        logging_config=None,
    )
    response_cache = ResponseCache(
        enabled=settings.cache_enabled,
        local=LocalLRU(settings.cache_max_entries),
        shared=RedisTier(None),
        version=DataVersion(),
        cacheable_posts=cacheable_post_paths(app.routes),
        query_defaults=query_defaults(app.routes),
        # With a configured public origin every answer is the same whatever the Host.
        origin_paths=(
            frozenset() if settings.public_url else absolute_link_paths(app.routes) | {DOCS_PAGE}
        ),
    )
    app.state.public_origin = PublicOrigin(settings.public_url)
    mcp.serve(app)
    # Reachable without walking the ASGI layers in front of it (tests read its version).
    app.state.response_cache = response_cache
    recorder = metrics.Recorder(
        metrics.RouteNames(
            metrics.route_templates([*(r.path for r in app.routes), "/healthz", "/readyz"])
        ),
        token=settings.metrics_token,
        multiprocess_dir=settings.metrics_dir,
    )
    # The lifespan flushes the counts a stopping worker still holds.
    app.state.metrics = recorder
    response_cache.on_lookup = recorder.cache_lookup
    response_cache.version.on_change.append(
        lambda: metrics.DATA_VERSION.set(response_cache.version.version)
    )
    # One layer in front of the router (api/edge.py), one pass per request: metrics (every
    # answer counted and timed; /metrics answered first), health checks, size limits, HEAD,
    # the rate limit, the response cache (a hit never reaches routing, DI or encoding) and
    # the security headers every answer carries.
    # Inside the edge, in front of the router: POST /graphql of a document already answered
    # once runs its compiled plan (api/graphql/posts.py).
    planned = PlannedPosts(
        cast(edge.ASGIApp, app.asgi_handler),
        db=lambda: cast(Db | None, app.state.get("pool")),
        cors=cors_config,
        time_budget=settings.graphql_timeout,
    )
    app.state.graphql_posts = planned
    client_of = ratelimit.ClientAddress(settings.trusted_proxy_hops)
    # Persisted-query registration is open: bounded per client (api/graphql/persisted.py).
    app.state.apq_registrations = _apq_registrations(settings, client_of)
    app.asgi_handler = cast(
        ASGIApp,
        edge.Edge(
            planned,
            db=lambda: cast(Db | None, app.state.get("pool")),
            cache=response_cache,
            limiter=_rate_limiter(settings),
            client_of=client_of,
            metrics=recorder,
            in_flight=(
                ratelimit.InFlight(settings.client_concurrency)
                if settings.client_concurrency
                else None
            ),
            body_timeout=settings.body_timeout,
            ready_timeout=settings.ready_timeout,
        ),
    )
    return app


def app_from_env() -> Litestar:
    """Factory for the ASGI server's workers: settings from the environment the CLI prepared."""
    app = create_app(Settings.from_env())
    # What is built by now (modules, the app, its routes and schemas) lives as long as the
    # worker: out of the collector's sight, and the young collected less often. The collector
    # was 7-10% of a cold GraphQL worker's CPU (perf); with this, cold app CPU per request
    # 0.78-0.98x on W1-W5 and cold p99 a third to a half (docs/benchmarks.md, "Garbage
    # collection"). Here, not in create_app: tests build many apps in one process, and a
    # freeze keeps what exists forever.
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    return app
