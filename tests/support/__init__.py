"""Test support code (helpers tests import explicitly; nothing here is a test)."""
