"""Settings read from the environment: what is accepted, and the words of a refusal."""

from __future__ import annotations

import pytest

from api.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("", ""),
        ("https://eedraws.example", "https://eedraws.example"),
        ("https://EEdraws.example/", "https://eedraws.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_public_url_is_kept_as_a_bare_origin(raw: str, origin: str) -> None:
    assert Settings.from_env({"EEDRAWS_PUBLIC_URL": raw}).public_url == origin


@pytest.mark.parametrize(
    "raw",
    [
        "eedraws.example",
        "ftp://eedraws.example",
        "https://eedraws.example/api",
        "https://eedraws.example/?x=1",
        "https://user@eedraws.example",
        "https://eedraws.example:port",
        "https://",
    ],
)
def test_public_url_that_is_not_an_origin_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="EEDRAWS_PUBLIC_URL"):
        Settings.from_env({"EEDRAWS_PUBLIC_URL": raw})


def test_slow_client_limits_are_on_by_default_and_set_from_the_environment() -> None:
    defaults = Settings.from_env({})
    assert (defaults.header_timeout, defaults.body_timeout, defaults.client_concurrency) == (
        5.0,
        10.0,
        64,
    )
    env = {
        "EEDRAWS_HEADER_TIMEOUT": "2",
        "EEDRAWS_BODY_TIMEOUT": "3.5",
        "EEDRAWS_CLIENT_CONCURRENCY": "0",
    }
    chosen = Settings.from_env(env)
    assert (chosen.header_timeout, chosen.body_timeout, chosen.client_concurrency) == (2, 3.5, 0)
    with pytest.raises(SettingsError, match="EEDRAWS_BODY_TIMEOUT"):
        Settings.from_env({"EEDRAWS_BODY_TIMEOUT": "soon"})


def test_chart_and_registration_limits_are_read_and_default_as_documented() -> None:
    defaults = Settings.from_env({})
    assert (defaults.chart_processes, defaults.chart_queue) == (1, 8)
    assert (defaults.apq_registrations, defaults.apq_max_bytes) == ("100/hour", 20_000)
    settings = Settings.from_env(
        {
            "EEDRAWS_CHART_PROCESSES": "3",
            "EEDRAWS_CHART_QUEUE": "0",
            "EEDRAWS_APQ_REGISTRATIONS": "5/minute",
            "EEDRAWS_APQ_MAX_BYTES": "4096",
        }
    )
    assert (settings.chart_processes, settings.chart_queue) == (3, 0)
    assert (settings.apq_registrations, settings.apq_max_bytes) == ("5/minute", 4096)


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("EEDRAWS_CHART_PROCESSES", "0"),
        ("EEDRAWS_CHART_PROCESSES", "two"),
        ("EEDRAWS_CHART_QUEUE", "-1"),
        ("EEDRAWS_APQ_MAX_BYTES", "0"),
        ("EEDRAWS_APQ_MAX_BYTES", "1e4"),
    ],
)
def test_a_count_that_is_not_a_whole_number_in_range_is_refused(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: raw})
