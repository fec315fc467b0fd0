"""Fixtures of the receipts tests: a migrated database, the app, real API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.settings import DbSettings
from herald_receipts.settings import get_settings
from herald_stack.kafka import KafkaBroker
from herald_stack.postgres import PostgresCluster
from herald_testing.api import (
    issue_api_key,
    migrated_database,
    running_app,
    service_env,
    wait_until_accepted,
)

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def receipts_dsn(pg_server: PostgresCluster) -> str:
    return migrated_database(pg_server, SERVICE_DIR)


@pytest.fixture
async def sessions(receipts_dsn: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(DbSettings(url=receipts_dsn))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def client(
    receipts_dsn: str, kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in service_env("receipts", receipts_dsn, kafka_broker.bootstrap).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    from herald_receipts.main import create_app

    async with running_app(create_app()) as api:
        yield api
    get_settings.cache_clear()


KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def key_for(client: httpx.AsyncClient, kafka_broker: KafkaBroker) -> KeyFactory:
    """`await key_for("ws", ("receipts:read",))`: a real key the running app accepts."""

    async def issue(workspace: str, scopes: tuple[str, ...] = ("*",)) -> str:
        key = await issue_api_key(kafka_broker.bootstrap, workspace, scopes)
        await wait_until_accepted(
            client, key, "/v1/deliveries/00000000-0000-4000-8000-000000000000"
        )
        return key

    return issue
