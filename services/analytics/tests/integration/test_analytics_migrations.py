"""The hand-written migration: it builds exactly the models' schema, and it is reversible."""

from __future__ import annotations

from pathlib import Path

from herald_analytics.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import assert_migrations_round_trip, table_names

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def test_the_migration_matches_the_models_and_goes_back_down(
    pg_server: PostgresCluster,
) -> None:
    dsn = await assert_migrations_round_trip(pg_server, SERVICE_DIR, metadata)
    assert {"campaign_summary", "message_fact", "daily_engagement", "outbox", "inbox"} <= (
        await table_names(dsn)
    )
