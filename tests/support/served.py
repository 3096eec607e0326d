"""Everything the API serves about a store, as one comparable value (timestamps left out)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

# Fields that say when something was ingested, not what the data is.
_WHEN = {"ingested_at", "data_changed_at", "data_version", "last_ingest"}


async def _json(client: AsyncTestClient[Litestar], url: str) -> Any:
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text)
    return response.json()


def _without_when(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_when(v) for k, v in value.items() if k not in _WHEN}
    if isinstance(value, list):
        return [_without_when(v) for v in value]
    return value


async def served_data(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    """Every round with its revisions, categories, pool snapshots, stats and status counts."""
    draws: list[dict[str, Any]] = []
    url: str | None = "/v1/draws?limit=500"
    while url:
        page = await _json(client, url)
        draws.extend(page["data"])
        url = f"/v1/draws?limit=500&cursor={page['next_cursor']}" if page["next_cursor"] else None
    snapshots = await _json(client, "/v1/pool")
    served: dict[str, Any] = {
        "draws": draws,
        "categories": await _json(client, "/v1/categories"),
        "pool": snapshots,
        "yearly": await _json(client, "/v1/stats/yearly"),
        "yearly_by_category": await _json(client, "/v1/stats/yearly?group_by=category"),
        "status": await _json(client, "/v1/status"),
    }
    for draw in draws:
        served[f"revisions {draw['number']}"] = await _json(
            client, f"/v1/draws/{draw['number']}/revisions"
        )
    for snapshot in snapshots:
        served[f"pool {snapshot['date']}"] = await _json(client, f"/v1/pool/{snapshot['date']}")
    return _without_when(served)
