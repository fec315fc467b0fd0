"""The hand-written migration: it builds exactly the models' schema, and it is reversible."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from herald_analytics.models import metadata
from herald_stack.postgres import PostgresCluster
from herald_testing.api import migrated_database

SERVICE_DIR = Path(__file__).resolve().parents[2]
KIT_TABLES = {"outbox", "inbox"}


def _alembic(dsn: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(SERVICE_DIR / "alembic.ini"), *args],
        cwd=SERVICE_DIR,
        env={**os.environ, "HERALD_ANALYTICS_DB__URL": dsn},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _is_kit_table(diff: Any) -> bool:
    """The kit's outbox and inbox are created by the migration, not declared in the models."""
    table = diff[1] if isinstance(diff, tuple) else None
    if isinstance(table, sa.Table):
        return table.name in KIT_TABLES
    index = diff[1] if isinstance(diff, tuple) else None
    return (
        isinstance(index, sa.Index) and index.table is not None and index.table.name in KIT_TABLES
    )


async def _tables(dsn: str) -> tuple[set[str], list[Any]]:
    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            names = set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))
            diffs = await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), metadata
                )
            )
    finally:
        await engine.dispose()
    return names, diffs


async def test_the_migration_matches_the_models_and_goes_back_down(
    pg_server: PostgresCluster,
) -> None:
    dsn = migrated_database(pg_server, SERVICE_DIR)
    names, diffs = await _tables(dsn)
    assert {"campaign_summary", "message_fact", "daily_engagement", *KIT_TABLES} <= names
    assert [d for d in diffs if not _is_kit_table(d)] == []

    _alembic(dsn, "downgrade", "base")
    names, _ = await _tables(dsn)
    assert names == {"alembic_version"}

    _alembic(dsn, "upgrade", "head")
    names, _ = await _tables(dsn)
    assert {"campaign_summary", "message_fact", "daily_engagement"} <= names
