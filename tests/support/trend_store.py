"""Which session-wide store the read-only trend tests read, and the rounds it holds.

IRCC's real files when ../shared has them (``client_official``: both files, in the order IRCC
published them), else the small fixture of real rounds (``client_2026``). The expected figures
are computed from the newest file of that store, parsed here with plain Python.
"""

from __future__ import annotations

import functools

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.ircc_rounds import OFFICIAL, SHARED_DATA, Round, load
from tests.support.trend_expectations import rounds_file

Client = AsyncTestClient[Litestar]
OLDER = SHARED_DATA / "ee_rounds_123_en.2024-04-06.json"


def trend_client_fixture() -> str:
    return "client_official" if OFFICIAL.exists() and OLDER.exists() else "client_2026"


@functools.cache
def expected_rounds() -> list[Round]:
    return load(rounds_file())


# Fixtures named ``client`` and ``rounds`` for the modules that import them: the session-wide
# app over the store above (read only), and the rounds its expectations are computed from.


@pytest.fixture(name="client")
def trend_client(request: pytest.FixtureRequest) -> Client:
    found: Client = request.getfixturevalue(trend_client_fixture())
    return found


@pytest.fixture(name="rounds")
def trend_rounds() -> list[Round]:
    return expected_rounds()
