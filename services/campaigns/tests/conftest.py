"""Fixtures of the campaigns tests: a migrated database, the app, real API keys, and consent
recorded through the real consent.changed handler."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns.events.subscriptions import groups
from herald_campaigns.settings import get_settings
from herald_events import Envelope
from herald_events.models.common import Purpose
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_kit.consumer import apply_once
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.outbox import Outbox
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
# The API process never calls contacts; its settings still require a real-looking key.
UNUSED_CONTACTS_KEY = "hrl_unused_not-a-placeholder"


@pytest.fixture(scope="session")
def campaigns_dsn(pg_server: PostgresCluster) -> str:
    return migrated_database(pg_server, SERVICE_DIR)


@pytest.fixture
async def sessions(campaigns_dsn: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(DbSettings(url=campaigns_dsn))
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(producer="campaigns")


@pytest.fixture
async def client(
    campaigns_dsn: str, kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in service_env("campaigns", campaigns_dsn, kafka_broker.bootstrap).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HERALD_CAMPAIGNS_CONTACTS__API_KEY", UNUSED_CONTACTS_KEY)
    get_settings.cache_clear()
    from herald_campaigns.main import create_app

    async with running_app(create_app()) as api:
        yield api
    get_settings.cache_clear()


KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def key_for(client: httpx.AsyncClient, kafka_broker: KafkaBroker) -> KeyFactory:
    """`await key_for("ws", ("campaigns:read",))`: a real key the running app accepts."""

    async def issue(workspace: str, scopes: tuple[str, ...] = ("*",)) -> str:
        key = await issue_api_key(kafka_broker.bootstrap, workspace, scopes)
        await wait_until_accepted(client, key, "/v1/campaigns?limit=1")
        return key

    return issue


# --- consent through the real handler ------------------------------------------------------


ConsentRecorder = Callable[..., Awaitable[None]]


@pytest.fixture
def record_consent(sessions: async_sessionmaker[AsyncSession], outbox: Outbox) -> ConsentRecorder:
    """`await record_consent(ws, phone, "opted_in", brand="default", purpose="marketing")`:
    a consent.changed envelope applied through the campaigns.consent subscription."""
    group, subscriptions = "campaigns.consent", groups()["campaigns.consent"]

    async def record(
        workspace_id: str,
        phone: str,
        status: str,
        *,
        brand: str = "default",
        purpose: str = "marketing",
        changed_at: datetime | None = None,
    ) -> None:
        envelope = Envelope[Any](
            type="consent.changed",
            version=1,
            workspace_id=workspace_id,
            producer="consent",
            payload=ConsentChangedV1(
                phone=phone,
                purpose=Purpose(purpose),
                brand=brand,
                status=ConsentStatus(status),
                ledger_entry_id=uuid.uuid4(),
                source="test",
                changed_at=changed_at or datetime.now(UTC),
            ),
        )
        async with transaction(sessions) as session:
            assert await apply_once(session, outbox, group, subscriptions[0], envelope)

    return record
