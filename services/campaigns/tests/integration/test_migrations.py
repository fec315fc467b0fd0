"""The hand-written migration matches the models, and it is reversible."""

from __future__ import annotations

from pathlib import Path

from herald_campaigns.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import assert_migrations_round_trip, table_names

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def test_the_migration_downgrades_to_nothing_and_back(pg_server: PostgresCluster) -> None:
    """At head (first and again) the schema is the models'; `downgrade base` empties it."""
    dsn = await assert_migrations_round_trip(pg_server, SERVICE_DIR, metadata)
    assert {
        "campaign",
        "expansion_job",
        "consent_projection",
        "outbox",
        "inbox",
    } <= await table_names(dsn)
