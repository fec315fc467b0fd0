"""Fixtures of the analytics tests: a migrated database, the app, real API keys."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_analytics.settings import get_settings
from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.settings import DbSettings
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
# The tests import the event builders of `analytics_support.py`, beside this file (the
# folder has no __init__.py, so that no `tests` package can clash with another service's).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))
PROBE_PATH = "/v1/campaigns?limit=1"


@pytest.fixture(scope="session")
def analytics_dsn(pg_server: PostgresCluster) -> str:
    return migrated_database(pg_server, SERVICE_DIR)


@pytest.fixture
async def sessions(analytics_dsn: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(DbSettings(url=analytics_dsn))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def client(
    analytics_dsn: str, kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in service_env("analytics", analytics_dsn, kafka_broker.bootstrap).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    from herald_analytics.main import create_app

    async with running_app(create_app()) as api:
        yield api
    get_settings.cache_clear()


KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def key_for(client: httpx.AsyncClient, kafka_broker: KafkaBroker) -> KeyFactory:
    """`await key_for("ws", ("analytics:read",))`: a real key the running app accepts."""

    async def issue(workspace: str, scopes: tuple[str, ...] = ("analytics:read",)) -> str:
        key = await issue_api_key(kafka_broker.bootstrap, workspace, scopes)
        await wait_until_accepted(client, key, PROBE_PATH)
        return key

    return issue
