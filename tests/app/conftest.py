"""Fixtures for the app's tests beyond the shared ones in tests/conftest.py."""

from tests.app.harvest_helpers import seated  # noqa: F401  (a fixture: pytest finds it here)
