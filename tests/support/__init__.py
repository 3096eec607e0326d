"""Test support code (helpers tests import explicitly; nothing here is a test).

Tests and ``tests/conftest.py`` import from here; nothing imports from conftest, which holds
only fixtures.
"""
