"""The workers' engine (no pre-ping) on the real PostgreSQL: after its connections were
killed, one transaction fails with a disconnect and the next one works on fresh connections
(workers retry a failed transaction; SQLAlchemy empties the pool on the disconnect)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.settings import DbSettings
from herald_stack.postgres import PostgresCluster


async def test_a_worker_engine_recovers_after_its_connections_die(
    pg_server: PostgresCluster,
) -> None:
    pg_server.create_database("kit_engine")
    dsn = pg_server.dsn("kit_engine")
    engine = make_engine(DbSettings(url=dsn), pre_ping=False)  # type: ignore[arg-type]
    admin = make_engine(DbSettings(url=dsn))  # type: ignore[arg-type]
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(3):  # a few pooled connections, then idle in the pool
            async with transaction(sessions) as session:
                assert await session.scalar(sa.select(1)) == 1
        async with admin.begin() as connection:
            killed = await connection.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = 'kit_engine' AND pid <> pg_backend_pid()"
                )
            )
        assert (killed or 0) >= 1
        with pytest.raises(DBAPIError) as failure:
            async with transaction(sessions) as session:
                await session.scalar(sa.select(1))
        assert failure.value.connection_invalidated
        async with transaction(sessions) as session:
            assert await session.scalar(sa.select(2)) == 2
    finally:
        await engine.dispose()
        await admin.dispose()
