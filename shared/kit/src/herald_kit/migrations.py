"""Alembic plumbing shared by every service's `migrations/env.py`.

Migrations run only through the `migrate` command (a one-shot job), never at app start.
A PostgreSQL advisory lock makes concurrent runs (two Helm hook retries, say) take turns.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from pydantic_settings import BaseSettings
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from herald_kit.settings import DbSettings, settings_config
from herald_kit.tables import KIT_METADATA

MIGRATION_LOCK_ID = 7_424_242


def database_url(service: str) -> str:
    """Only the DB group is needed to migrate: the job needs no Kafka settings."""

    class MigrationSettings(BaseSettings):
        model_config = settings_config(service)
        db: DbSettings

    return MigrationSettings().db.url.get_secret_value()


def is_service_object(obj: Any, name: str | None, type_: str, reflected: bool, _: Any) -> bool:
    """Alembic `include_object` filter: False for the kit's outbox and inbox (and their
    indexes, columns, constraints), which live in every database but in no service's
    MetaData: keeps `alembic check` / autogenerate / compare_metadata from proposing to drop
    them."""
    if type_ == "table":
        return name not in KIT_METADATA.tables
    table = getattr(obj, "table", None)  # indexes, columns and constraints of a table
    return table is None or table.name not in KIT_METADATA.tables


def _run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_object=is_service_object,
    )
    connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run, metadata)
        await connection.commit()
    await engine.dispose()


def run_env(service: str, metadata: MetaData) -> None:
    """The body of a service's env.py (online mode only: Herald never emits SQL scripts)."""
    url = context.config.get_main_option("sqlalchemy.url") or database_url(service)
    asyncio.run(_run_async(url, metadata))


def upgrade_head(alembic_ini: Path, url: str | None = None) -> None:
    config = Config(str(alembic_ini))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
