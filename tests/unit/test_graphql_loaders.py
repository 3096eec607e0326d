"""A DataLoader's load is shared by every field that asks for the key: cancelling one of them
(graphql-core cancels the pending siblings of a field that failed) leaves the others theirs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from strawberry.dataloader import DataLoader

from api.graphql.loaders import SharedLoader


async def _doubled(keys: list[int]) -> list[int]:
    await asyncio.sleep(0.01)
    return [k * 2 for k in keys]


async def _field(pending: Awaitable[int]) -> int:
    return await pending


async def _other_field_after_one_is_cancelled(loader: DataLoader[int, int]) -> int:
    failed_branch = asyncio.ensure_future(_field(loader.load(21)))
    other_branch = asyncio.ensure_future(_field(loader.load(21)))
    await asyncio.sleep(0)  # both are awaiting the one load
    failed_branch.cancel()
    return await other_branch


async def test_a_field_cancelled_with_its_failed_sibling_leaves_other_fields_their_load() -> None:
    assert await _other_field_after_one_is_cancelled(SharedLoader(load_fn=_doubled)) == 42


async def test_a_plain_dataloader_would_hand_the_other_field_a_cancellation() -> None:
    # Why SharedLoader exists: this is what /graphql crashed with (a flaky fuzz failure).
    try:
        await _other_field_after_one_is_cancelled(DataLoader(load_fn=_doubled))
    except asyncio.CancelledError:
        return
    raise AssertionError("the plain DataLoader's shared future was not cancelled")
