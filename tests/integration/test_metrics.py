"""/metrics from a real 2-worker `eedraws serve`, parsed with prometheus_client's own parser:
every worker's requests are counted (multi-process mode), with the cache's hits, the data
version and the time since the last ingest. Not public: its own port, or a bearer token."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from api.ingest.store import IngestReport
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.server import free_port, served
from tests.support.waiting import wait_until

TOKEN = "s3cret-metrics-token"


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def total(found: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(v for n, got, v in found if n == name and labels.items() <= got.items())


async def test_metrics_count_every_workers_requests_and_are_not_public(
    settings: Settings, ingest: Ingest
) -> None:
    report: IngestReport = await ingest(FIXTURES / "rounds_2026.json")
    port = free_port()
    env = {"EEDRAWS_METRICS_PORT": str(port), "EEDRAWS_METRICS_TOKEN": TOKEN}
    with served(settings, workers=2, env=env) as base:
        sent = 60
        for i in range(sent):
            # New connections: both workers get a share.
            assert fetch(f"{base}/v1/draws/latest")[0] == 200, i
        assert fetch(f"{base}/v1/draws/9999")[0] == 404
        route = "/v1/draws/latest"

        def scraped() -> list[tuple[str, dict[str, str], float]]:
            status, headers, text = fetch(f"http://127.0.0.1:{port}/metrics")
            assert status == 200 and headers["content-type"].startswith("text/plain")
            return samples(text)

        def all_counted(found: list[tuple[str, dict[str, str], float]]) -> bool:
            return (
                total(found, "eedraws_http_requests_total", route=route, status="200") >= sent
                and total(found, "eedraws_http_request_duration_seconds_count", route=route) >= sent
                and total(found, "eedraws_http_requests_total", route="/v1/draws/{number}") >= 1
                and total(found, "eedraws_cache_lookups_total", tier="local", result="hit") > 0
                and total(found, "eedraws_cache_lookups_total", tier="local", result="miss") > 0
            )

        # Each worker adds its counts to the shared values within FLUSH_SECONDS (0.5 s).
        wait_until(lambda: all_counted(scraped()), 5, "every request was counted")
        found = scraped()
        assert total(found, "eedraws_http_requests_total", route="/v1/draws/{number}",
                     status="404") == 1  # fmt: skip
        assert total(found, "eedraws_data_version") == report.data_version
        since = total(found, "eedraws_seconds_since_last_ingest")
        assert 0 <= since < 120
        assert any(n == "eedraws_refresh_failures_total" for n, _, _ in found)
        # On the API port: only to the token, never cached, never the public's.
        assert fetch(f"{base}/metrics")[0] == 401
        wrong = fetch(f"{base}/metrics", {"Authorization": "Bearer nope"})
        assert wrong[0] == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        first = fetch(f"{base}/metrics", auth)
        assert first[0] == 200 and first[1]["cache-control"] == "no-store"
        fetch(f"{base}/v1/draws/latest")

        def counted_on_the_api_port() -> float:
            text = fetch(f"{base}/metrics", auth)[2]
            return total(samples(text), "eedraws_http_requests_total", route=route)

        wait_until(
            lambda: counted_on_the_api_port() >= sent + 1, 5, "the request after was counted"
        )


async def test_without_a_token_metrics_are_not_on_the_api_port(settings: Settings) -> None:
    with served(settings, workers=1) as base:
        assert fetch(f"{base}/metrics")[0] == 404
