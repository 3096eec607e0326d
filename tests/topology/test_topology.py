"""The production topology, proven on this machine (``make test-topology``; issue 12).

A PostgreSQL primary and a streaming read replica (Debian's packages; the replica applies each
commit 300 ms late, so a cache that trusted the primary's version would cache old rows), a
``redis-server``, and two ``eedraws serve`` replicas reading from the replica as a read-only
role. Each test is one fault, in order; the figures are printed and written to
docs/operations.md.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import os
import random
import threading
import time

import msgspec
import pytest
import redis

from api.data_version import VERSION_CHANNEL
from tests.support.topology import (
    APPLY_DELAY_MS,
    FIGURES,
    FIXTURES,
    ApiReplica,
    Topology,
    Wrk,
    get,
    get_json,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("EEDRAWS_TOPOLOGY"), reason="the topology suite runs with make test-topology"
)


def latest(api: ApiReplica, encoding: str = "identity") -> str:
    status, body = get(f"{api.base}/v1/draws/latest", headers={"Accept-Encoding": encoding})
    assert status == 200, body[:300]
    number: str = msgspec.json.decode(body)["number"]
    return number


def test_an_ingest_reaches_both_replicas_within_2s_and_no_stale_answer_is_cached(
    topology: Topology,
) -> None:
    a, b = topology.apis
    assert (latest(a), latest(b)) == ("270", "270")  # now cached under the old version
    seen: dict[str, float] = {}
    stop = threading.Event()

    def poll(api: ApiReplica) -> None:
        while not stop.is_set():
            if latest(api) == "411" and api.name not in seen:
                seen[api.name] = time.monotonic()
            time.sleep(0.01)

    # The ingest announces the new version right after its commit: that is time zero.
    announcements = redis.Redis.from_url(topology.redis.url).pubsub()
    announcements.subscribe(VERSION_CHANNEL)
    assert announcements.get_message(timeout=5) is not None  # the subscription itself

    def announced_at() -> float:
        message = announcements.get_message(timeout=30)
        assert message is not None and message["type"] == "message"
        return time.monotonic()

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        polls = [pool.submit(poll, api) for api in topology.apis]
        announcement = pool.submit(announced_at)
        ingest = topology.eedraws("ingest", str(FIXTURES / "rounds_2026.json"))
        assert ingest.returncode == 0, ingest.stderr
        committed_at = announcement.result()
        deadline = committed_at + 5
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        for poll_done in polls:
            poll_done.result()
    announcements.close()
    assert len(seen) == 2, f"not every replica serves round 411: {seen}"
    propagation = max(seen.values()) - committed_at
    FIGURES["ingest to both replicas serving the new round"] = (
        f"{max(propagation, 0) * 1000:.0f} ms after `eedraws ingest` announced its commit "
        f"(the replica applies commits {APPLY_DELAY_MS} ms late)"
    )
    assert propagation < 2.0
    # Nothing old was cached under the new version, in either tier, in any encoding.
    for api in topology.apis:
        for encoding in ("identity", "gzip", "br"):
            assert latest(api, encoding) == "411"
    version = int(get_json(f"{a.base}/v1/status")["data_version"])  # type: ignore[index]
    shared = redis.Redis.from_url(topology.redis.url)
    stale = 0
    for key in shared.scan_iter(match=f"eedraws:resp:*|{version}|/v1/draws/latest|*"):
        entry = msgspec.msgpack.decode(shared.get(key))
        stale += b'"number":"411"' not in entry["body"]
    assert stale == 0


def test_two_ingests_started_at_once_apply_the_file_once(topology: Topology) -> None:
    before = int(topology.primary.psql("SELECT data_version FROM data_state"))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda _: topology.eedraws("ingest", str(FIXTURES / "rounds_future.json")),
                range(2),
            )
        )
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    nothing = [r for r in runs if "(nothing changed)" in r.stdout]
    assert len(nothing) == 1, [r.stdout for r in runs]
    assert int(topology.primary.psql("SELECT data_version FROM data_state")) == before + 1
    assert topology.primary.psql("SELECT count(*) FROM draws") == "16"
    FIGURES["two ingests started at once"] = (
        "both exit 0; one applied the file, the other waited on the advisory lock and found "
        "nothing to change; data_version +1"
    )


def test_stopping_redis_under_load_gives_no_5xx(topology: Topology) -> None:
    a, b = topology.apis
    loads = [Wrk(topology.root, api.base, seconds=4) for api in (a, b)]
    time.sleep(1.5)
    topology.redis.stop()
    results = [load.result() for load in loads]
    topology.redis.start()
    errors = sum(r.errors_5xx for r in results)
    failed = sum(r.failed for r in results)
    FIGURES["Redis stopped under load"] = (
        f"{sum(r.requests for r in results)} requests, {errors} 5xx, {failed} failed in all"
    )
    assert errors == 0, [r.output for r in results]
    assert failed == 0, [r.output for r in results]


def _replica_commits(topology: Topology) -> int:
    return int(
        topology.replica.psql("SELECT xact_commit FROM pg_stat_database WHERE datname = 'eedraws'")
    )


def test_stopping_the_read_replica_falls_back_to_the_primary_and_recovers(
    topology: Topology,
) -> None:
    a, b = topology.apis
    loads = [Wrk(topology.root, api.base, seconds=4) for api in (a, b)]
    time.sleep(1.5)
    topology.replica.stop()
    results = [load.result() for load in loads]
    failed = sum(r.failed for r in results)
    FIGURES["read replica stopped under load"] = (
        f"{sum(r.requests for r in results)} requests, {failed} failed "
        f"({sum(r.errors_5xx for r in results)} 5xx): reads moved to the primary"
    )
    assert failed == 0, [r.output for r in results]
    topology.replica.start()
    started = time.monotonic()
    # Back without a restart: uncached reads reach the replica again.
    while True:
        before = _replica_commits(topology)
        for api in (a, b):
            for _ in range(10):
                status, _ = get(f"{api.base}/v1/draws?min_crs={random.randint(250, 800)}&limit=7")
                assert status == 200
        if _replica_commits(topology) - before >= 20:
            break
        assert time.monotonic() - started < 15, "the replica was not taken back"
        time.sleep(0.1)
    FIGURES["read replica back in use after its restart"] = (
        f"{time.monotonic() - started:.1f} s, no API restart"
    )


def test_killing_one_api_replica_under_load_leaves_the_other_answering(
    topology: Topology,
) -> None:
    a, b = topology.apis
    on_a, on_b = Wrk(topology.root, a.base, seconds=4), Wrk(topology.root, b.base, seconds=4)
    time.sleep(1.5)
    a.kill()
    lost, kept = on_a.result(), on_b.result()
    FIGURES["one API replica killed (SIGKILL) under load"] = (
        f"the other answered {kept.requests} requests with {kept.failed} errors "
        f"(the killed one's clients saw {sum(lost.socket_errors.values())} socket errors)"
    )
    assert kept.failed == 0, kept.output
    assert kept.requests > 0


def test_sigterm_under_load_drains_in_flight_requests_and_exits_within_the_grace_period(
    topology: Topology,
) -> None:
    _, b = topology.apis
    port = b.port
    stop = threading.Event()
    outcomes: dict[str, int] = {"ok": 0, "reset": 0, "refused": 0, "other": 0}
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.connect()
            except OSError:
                # Not connected: refused once it closed, or its SYN dropped while it drained.
                kind = "refused"
                time.sleep(0.05)
            else:
                # Connected: the kernel accepted it, so it must be answered, whenever SIGTERM
                # came (api/serving.py drains the accept queue before the workers stop).
                try:
                    conn.request("GET", f"/v1/draws.csv?min_crs={random.randint(250, 800)}")
                    response = conn.getresponse()
                    response.read()
                    kind = "ok" if response.status == 200 else "other"
                except (OSError, http.client.HTTPException):
                    kind = "reset"
            finally:
                conn.close()
            with lock:
                outcomes[kind] += 1

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        clients = [pool.submit(client) for _ in range(6)]
        time.sleep(1.5)
        exited_after = b.terminate()
        time.sleep(0.3)
        stop.set()
        for done in clients:
            done.result()
    FIGURES["SIGTERM to an API replica under load"] = (
        f"exited after {exited_after:.1f} s; {outcomes['ok']} answered, "
        f"{outcomes['reset']} connections reset or closed unanswered, {outcomes['other']} "
        f"non-200, {outcomes['refused']} new connections refused after SIGTERM"
    )
    assert outcomes["reset"] == 0 and outcomes["other"] == 0, outcomes
    assert exited_after < 30
