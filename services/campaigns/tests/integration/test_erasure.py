"""`contact.erased` through the real handler: the number's consent projection rows go, the
other numbers' and other workspaces' stay."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns.events.subscriptions import groups
from herald_campaigns.models import ConsentProjection
from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox

ConsentRecorder = Callable[..., Awaitable[None]]


def erased(workspace_id: str, phone: str) -> Envelope[Any]:
    return Envelope[Any](
        type="contact.erased",
        version=1,
        workspace_id=workspace_id,
        producer="contacts",
        payload=ContactErasedV1(contact_id=uuid.uuid4(), phone=phone, erased_at=datetime.now(UTC)),
    )


async def erase(sessions: async_sessionmaker[AsyncSession], event: Envelope[Any]) -> bool:
    (subscription,) = groups()["campaigns.erasure"]
    async with transaction(sessions) as session:
        return await apply_once(
            session, Outbox("campaigns"), "campaigns.erasure", subscription, event
        )


async def phones(sessions: async_sessionmaker[AsyncSession], workspace_id: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ConsentProjection.phone)
            .where(ConsentProjection.workspace_id == workspace_id)
            .order_by(ConsentProjection.phone, ConsentProjection.purpose, ConsentProjection.brand)
        )
        return list(rows)


async def test_the_numbers_consent_rows_are_deleted_and_nothing_else(
    sessions: async_sessionmaker[AsyncSession], record_consent: ConsentRecorder
) -> None:
    ws, other_ws = f"ws-erase-{uuid.uuid4().hex[:8]}", f"ws-keep-{uuid.uuid4().hex[:8]}"
    phone, neighbour = "+33612880001", "+33612880002"
    await record_consent(ws, phone, "opted_in")
    await record_consent(ws, phone, "opted_out", brand="acme")
    await record_consent(ws, phone, "opted_out", purpose="transactional", brand="*")
    await record_consent(ws, neighbour, "opted_in")
    await record_consent(other_ws, phone, "opted_in")
    event = erased(ws, phone)

    assert await erase(sessions, event)
    assert not await erase(sessions, event)  # the inbox drops a redelivery

    assert await phones(sessions, ws) == [neighbour]
    assert await phones(sessions, other_ws) == [phone]


async def test_an_unknown_number_is_a_no_op(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert await erase(sessions, erased("ws-erase-none", "+33612880003"))
