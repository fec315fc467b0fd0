"""The campaigns service under test (the herald plugin gives its tests a migrated database,
`service_dsn` and `sessions`, the running app, `client`, and real API keys, `key_for`), and
consent recorded through the real consent.changed handler."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns.events.subscriptions import groups
from herald_campaigns.main import create_app
from herald_campaigns.settings import get_settings
from herald_events import Envelope
from herald_events.models.common import Purpose
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_testing.api import ServiceUnderTest

# The API process never calls contacts; its settings still require a real-looking key.
UNUSED_CONTACTS_KEY = "hrl_unused_not-a-placeholder"


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(
        name="campaigns",
        service_dir=Path(__file__).resolve().parents[1],
        app_factory=create_app,
        clear_settings=get_settings.cache_clear,
        probe_path="/v1/campaigns?limit=1",
        env={"HERALD_CAMPAIGNS_CONTACTS__API_KEY": UNUSED_CONTACTS_KEY},
    )


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(producer="campaigns")


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
