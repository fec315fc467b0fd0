"""The hand-written migrations: reversible, and exactly what the ORM models describe."""

from __future__ import annotations

from pathlib import Path

from herald_contacts.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import assert_migrations_round_trip

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def test_the_migrations_go_down_and_up_and_match_the_models(
    pg_server: PostgresCluster,
) -> None:
    await assert_migrations_round_trip(pg_server, SERVICE_DIR, metadata)
