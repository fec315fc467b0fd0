"""Test support for Herald: real PostgreSQL/Kafka fixtures (pytest plugin) and helpers."""

from herald_testing.migrations import migrate_database

__all__ = ["migrate_database"]
