"""The hand-written migration: reversible, and exactly what the ORM models describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from herald_receipts.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing import migrate_database

SERVICE_DIR = Path(__file__).resolve().parents[2]
KIT_TABLES = {"outbox", "inbox"}


def alembic(dsn: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(SERVICE_DIR / "alembic.ini"), *args],
        cwd=SERVICE_DIR,
        env={**os.environ, "HERALD_RECEIPTS_DB__URL": dsn},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        diff
        for diff in compare_metadata(context, metadata)
        if not (diff[0] == "remove_table" and diff[1].name in KIT_TABLES)
        and not (diff[0] == "remove_index" and diff[1].table.name in KIT_TABLES)
    ]


async def test_the_migration_goes_down_and_up_and_matches_the_models(
    pg_server: PostgresCluster,
) -> None:
    pg_server.create_database("receipts_roundtrip")
    dsn = pg_server.dsn("receipts_roundtrip")
    migrate_database(SERVICE_DIR, dsn)
    alembic(dsn, "downgrade", "base")
    alembic(dsn, "upgrade", "head")
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
