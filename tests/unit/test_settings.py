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
