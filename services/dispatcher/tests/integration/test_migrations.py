"""The migration is reversible (down to nothing and up again on a fresh database), and it
builds exactly what the ORM models describe."""

from __future__ import annotations

from pathlib import Path

from herald_dispatcher.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import assert_migrations_round_trip

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def test_downgrade_to_base_and_upgrade_again(pg_server: PostgresCluster) -> None:
    await assert_migrations_round_trip(pg_server, SERVICE_DIR, metadata)
