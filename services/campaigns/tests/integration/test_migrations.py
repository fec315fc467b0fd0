"""The hand-written migration matches the models, and it is reversible."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from herald_campaigns.models import metadata
from herald_kit.db import make_engine
from herald_kit.settings import DbSettings
from herald_stack.postgres import PostgresCluster
from herald_testing.api import migrated_database

SERVICE_DIR = Path(__file__).resolve().parents[2]
KIT_TABLES = {"outbox", "inbox", "alembic_version"}


def _include(name: str | None, type_: str, _parent: Any) -> bool:
    return not (type_ == "table" and name in KIT_TABLES)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _include}
    )
    return list(compare_metadata(context, metadata))


async def _tables(dsn: str) -> set[str]:
    engine = make_engine(DbSettings(url=dsn))
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


async def test_the_migrated_schema_matches_the_models(campaigns_dsn: str) -> None:
    engine = make_engine(DbSettings(url=campaigns_dsn))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


def _alembic(dsn: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(SERVICE_DIR / "alembic.ini"), *args],
        cwd=SERVICE_DIR,
        env={**os.environ, "HERALD_CAMPAIGNS_DB__URL": dsn},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_migration_downgrades_to_nothing_and_back(pg_server: PostgresCluster) -> None:
    dsn = migrated_database(pg_server, SERVICE_DIR)
    assert {"campaign", "expansion_job", "consent_projection", "outbox", "inbox"} <= await _tables(
        dsn
    )
    _alembic(dsn, "downgrade", "base")
    assert await _tables(dsn) <= {"alembic_version"}
    _alembic(dsn, "upgrade", "head")
    assert "campaign" in await _tables(dsn)
