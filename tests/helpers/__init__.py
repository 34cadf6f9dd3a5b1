"""Shared test helpers (on sys.path via pytests ``pythonpath``)."""
