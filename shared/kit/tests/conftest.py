"""A database holding just the kit's tables (with the opt-in idempotency table), plus a
scratch table for handler effects."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.settings import DbSettings
from herald_kit.tables import IDEMPOTENCY_METADATA, KIT_METADATA, OUTBOX_NOTIFY_SQL
from herald_stack.postgres import PostgresCluster

_numbers = itertools.count(1)
SEEN = sa.Table(
    "seen",
    sa.MetaData(),
    sa.Column("event_id", sa.Uuid, primary_key=True),
    sa.Column("workspace_id", sa.Text, nullable=False),
)


@pytest.fixture
async def sessions(pg_server: PostgresCluster) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    name = f"kit_{next(_numbers)}"
    pg_server.create_database(name)
    engine = make_engine(DbSettings(url=pg_server.dsn(name)))  # type: ignore[arg-type]
    async with engine.begin() as connection:
        await connection.run_sync(KIT_METADATA.create_all)
        await connection.run_sync(IDEMPOTENCY_METADATA.create_all)
        await connection.run_sync(SEEN.metadata.create_all)
        for statement in OUTBOX_NOTIFY_SQL:  # as every service's migrations do
            await connection.execute(sa.text(statement))
    yield make_sessionmaker(engine)
    await engine.dispose()
