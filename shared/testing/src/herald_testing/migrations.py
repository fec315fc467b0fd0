"""Run a service's real Alembic migrations against a test database, and check them."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy import MetaData
    from sqlalchemy.engine import Connection

    from herald_stack.postgres import PostgresCluster

MIGRATE_TIMEOUT = 300
VERSION_TABLE = "alembic_version"

_database_numbers = itertools.count(1)


def run_alembic(service_dir: Path, dsn: str, *args: str) -> None:
    """`alembic <args>` for the service in `service_dir` (e.g. services/contacts).

    It runs in a subprocess, exactly as the `migrate` job does: the URL reaches the service's
    env.py through `HERALD_<SERVICE>_DB__URL`, the service being the folder's name.
    Fails the test, with alembic's output, when the command fails.
    """
    ini = service_dir / "alembic.ini"
    if not ini.is_file():
        pytest.fail(f"no alembic.ini in {service_dir}", pytrace=False)
    variable = f"HERALD_{service_dir.name.upper()}_DB__URL"
    command = " ".join(("alembic", *args))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ini), *args],
            cwd=service_dir,
            env={**os.environ, variable: dsn},
            capture_output=True,
            text=True,
            timeout=MIGRATE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{service_dir.name}: {command} took over {MIGRATE_TIMEOUT} s")
    if result.returncode != 0:
        pytest.fail(
            f"{service_dir.name}: {command} failed ({variable}={dsn}):\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )


def migrate_database(service_dir: Path, dsn: str) -> None:
    """`alembic upgrade head` for the service in `service_dir`, as `run_alembic` runs it."""
    run_alembic(service_dir, dsn, "upgrade", "head")


def migrated_database(pg_server: PostgresCluster, service_dir: Path) -> str:
    """A new database for one service, at the head of its real migrations; returns the DSN."""
    name = f"{service_dir.name}_{next(_database_numbers)}"
    pg_server.create_database(name)
    dsn = pg_server.dsn(name)
    migrate_database(service_dir, dsn)
    return dsn


def _differences(connection: Connection, metadata: MetaData) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from herald_kit.migrations import is_service_object

    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": is_service_object}
    )
    return list(compare_metadata(context, metadata))


def _table_names(connection: Connection) -> set[str]:
    import sqlalchemy as sa

    return set(sa.inspect(connection).get_table_names())


async def schema_differences(dsn: str, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to make the database match `metadata` (the kit's
    outbox and inbox, in no service's models, left out): [] when they match."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences, metadata)
    finally:
        await engine.dispose()


async def table_names(dsn: str) -> set[str]:
    """The tables of the database's default schema."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(dsn)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_table_names)
    finally:
        await engine.dispose()


async def assert_migrations_round_trip(
    pg_server: PostgresCluster, service_dir: Path, metadata: MetaData
) -> str:
    """The service's migrations on a fresh database: at head the schema is exactly what the
    models (`metadata`) describe, plus the kit's outbox and inbox; `downgrade base` leaves
    only the version table; `upgrade head` again gives the models' schema once more.

    Returns the DSN of the database, back at head, for a service's own extra checks.
    """
    from herald_kit.tables import KIT_METADATA

    dsn = migrated_database(pg_server, service_dir)
    differences = await schema_differences(dsn, metadata)
    assert differences == [], f"{service_dir.name}: head differs from the models: {differences}"
    tables = await table_names(dsn)
    assert set(KIT_METADATA.tables) <= tables, f"{service_dir.name}: no kit tables in {tables}"

    run_alembic(service_dir, dsn, "downgrade", "base")
    tables = await table_names(dsn)
    assert tables == {VERSION_TABLE}, f"{service_dir.name}: downgrade base left {tables}"

    run_alembic(service_dir, dsn, "upgrade", "head")
    differences = await schema_differences(dsn, metadata)
    assert differences == [], f"{service_dir.name}: head, again, differs: {differences}"
    return dsn
