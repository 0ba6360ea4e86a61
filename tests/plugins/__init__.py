"""Pytest plugins shipped with the test suite (registered from ``tests/conftest.py``)."""
