"""Dependencies of sync providers are resolved without a task group per request
(api/dependency_batches.py), and a batch holding an async provider keeps Litestar's own path."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
from litestar.di import Provide
from litestar.testing import AsyncTestClient

from api.dependency_batches import resolve_sync_batches_inline

Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
def task_groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened: list[int] = []
    original = kwargs_model.create_task_group

    def counting() -> Any:
        opened.append(1)
        return original()

    monkeypatch.setattr(kwargs_model, "create_task_group", counting)
    return opened


async def test_the_apps_list_csv_and_graphql_requests_open_no_task_group(
    client_2026: Client, task_groups: list[int]
) -> None:
    assert (await client_2026.get("/v1/draws?limit=2&sort=crs_min")).status_code == 200
    assert (await client_2026.get("/v1/draws.csv?min_crs=500")).status_code == 200
    assert (await client_2026.get("/v1/stats/yearly.csv?group_by=category")).status_code == 200
    query = {"query": "{ draws(first: 2, sort: CRS_MIN_DESC) { nodes { number } } }"}
    assert (await client_2026.post("/graphql", json=query)).status_code == 200
    assert task_groups == []


async def test_a_batch_with_an_async_provider_still_waits_on_both_together(
    task_groups: list[int],
) -> None:
    resolve_sync_batches_inline()
    waited: list[str] = []

    async def slow(name: str) -> str:
        waited.append(f"{name} started")
        await anyio.sleep(0.05)
        waited.append(f"{name} done")
        return name

    async def first() -> str:
        return await slow("first")

    async def second() -> str:
        return await slow("second")

    @get(
        "/",
        dependencies={"a": Provide(first), "b": Provide(second)},
        media_type="text/plain",
    )
    async def both(a: str, b: str) -> str:
        return a + b

    async with AsyncTestClient(app=Litestar([both])) as client:
        assert (await client.get("/")).text == "firstsecond"
    assert task_groups == [1]
    assert sorted(waited[:2]) == ["first started", "second started"]
