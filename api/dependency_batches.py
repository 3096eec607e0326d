"""Litestar's dependency resolution without a task group for batches of sync providers.

Litestar resolves a handler's dependencies in batches (by depth) and each batch of more than one
in an anyio task group, so that async providers can wait on I/O together. Every provider of this
app that shares a batch is a sync function returning at once (the pool, the parsed filter, the
output format, the GraphQL context), and the task group, its tasks and their cancel scopes cost
a tenth of a cold `/v1/draws?limit=50` in py-spy. A batch of sync providers is resolved one by
one here; a batch with an async or threaded provider keeps Litestar's own path. The order within
a batch cannot matter: its providers do not depend on each other.

Overrides ``KwargsModel.resolve_dependencies`` (Litestar internals: pyproject.toml bounds it).
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel

_litestar_resolve = KwargsModel.resolve_dependencies


async def _resolve_dependencies(
    self: KwargsModel, connection: Any, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    batches = self.dependency_batches
    if any(
        not dependency.provide.has_sync_callable
        for batch in batches
        if len(batch) > 1
        for dependency in batch
    ):
        return await _litestar_resolve(self, connection, kwargs)
    cleanup_group = DependencyCleanupGroup()
    for batch in batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_sync_batches_inline() -> None:
    """Install the override (idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_dependencies  # type: ignore[method-assign]
