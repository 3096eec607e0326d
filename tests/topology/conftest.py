"""The topology suite's one running topology, shared by its modules; figures written at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.topology import Topology, write_figures


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    running = Topology()
    try:
        running.start()
        yield running
    finally:
        running.stop()
        write_figures()
