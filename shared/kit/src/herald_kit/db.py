"""Async SQLAlchemy: engines, sessions, and the rule that the entrypoint owns the transaction.

Services and repositories never commit. The request dependency, the consumer runner and
the relay open the transaction, and commit or roll back once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from herald_kit.settings import DbSettings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Services subclass their own declarative base from `make_base()`, never this one."""


def make_engine(settings: DbSettings, *, pre_ping: bool = True) -> AsyncEngine:
    """`pre_ping` tests each connection as it leaves the pool (three round trips with
    asyncpg), so a request after a database restart never meets a dead connection. Workers
    (consumers, relays, the sender) turn it off: they open a transaction many times a second
    and retry a failed one anyway, and SQLAlchemy drops the pool's connections on the first
    disconnect it sees."""
    return create_async_engine(
        settings.url.get_secret_value(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=pre_ping,
        echo=settings.echo,
        hide_parameters=True,  # DB errors must not quote phones or message texts
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block ends normally, roll back otherwise."""
    async with sessions() as session, session.begin():
        yield session
