"""`contact.erased` through the real handler: the number's inbound messages go, parked
receipts and deliveries keep everything but the recipient, submissions (no number) stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind, SmsSubmittedV1
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_receipts.events.subscriptions import groups
from herald_receipts.models import Delivery, InboundMessage, ParkedReceipt, Submission

T0 = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def envelope(topic: str, workspace: str, payload: Any) -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="test", payload=payload
    )


def inbound(workspace: str, kind: InboundKind, source: str, **fields: Any) -> Envelope[Any]:
    payload = GatewayInboundV1(
        kind=kind,
        route="smpp-erase",
        source=source,
        destination="36111",
        received_at=T0,
        **fields,
    )
    return envelope("gateway.inbound", workspace, payload)


def erased(workspace: str, phone: str, contact_id: uuid.UUID | None = None) -> Envelope[Any]:
    payload = ContactErasedV1(contact_id=contact_id or uuid.uuid4(), phone=phone, erased_at=T0)
    return envelope("contact.erased", workspace, payload)


def submitted(workspace: str, phone: str, contact_id: uuid.UUID | None) -> Envelope[Any]:
    payload = SmsSubmittedV1(
        message_id=uuid.uuid4(),
        phone=phone,
        contact_id=contact_id,
        category="marketing",
        route="smpp-erase",
        provider_message_ids=[uuid.uuid4().hex[:10]],
        segments=1,
        encoding="GSM7",
        submitted_at=T0,
    )
    return envelope("sms.submitted", workspace, payload)


GROUPS = {
    "gateway.inbound": "receipts.gateway",
    "contact.erased": "receipts.erasure",
    "sms.submitted": "receipts.submissions",
}


async def apply(sessions: async_sessionmaker[AsyncSession], event: Envelope[Any]) -> bool:
    group = GROUPS[event.type]
    (subscription,) = groups()[group]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("receipts"), group, subscription, event)


async def inbound_phones(sessions: async_sessionmaker[AsyncSession], workspace: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(InboundMessage.phone)
            .where(InboundMessage.workspace_id == workspace)
            .order_by(InboundMessage.phone)
        )
        return list(rows)


async def parked_sources(sessions: async_sessionmaker[AsyncSession], workspace: str) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ParkedReceipt.payload)
            .where(ParkedReceipt.workspace_id == workspace)
            .order_by(ParkedReceipt.provider_id_normalised)
        )
        return [payload["source"] for payload in rows]


async def test_inbound_messages_of_the_number_are_deleted_and_only_those(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = f"ws-erase-{uuid.uuid4().hex[:8]}", "+33612660001"
    for source, text in ((phone, "STOP"), ("0612660001", "Merci"), ("+33612660002", "Oui")):
        assert await apply(sessions, inbound(ws, InboundKind.MOBILE_ORIGINATED, source, text=text))
    assert await apply(
        sessions, inbound("ws-erase-other", InboundKind.MOBILE_ORIGINATED, phone, text="Bonjour")
    )
    event = erased(ws, phone)

    assert await apply(sessions, event)
    assert not await apply(sessions, event)

    assert await inbound_phones(sessions, ws) == ["+33612660002"]
    assert phone in await inbound_phones(sessions, "ws-erase-other")


async def test_parked_receipts_lose_the_number_in_any_notation_and_keep_the_rest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = f"ws-erase-{uuid.uuid4().hex[:8]}", "+33612660003"
    sources = {"A1": "33612660003", "A2": "0612660003", "A3": "+33612660004", "A4": "not-a-number"}
    for provider_id, source in sources.items():
        receipt = inbound(
            ws,
            InboundKind.DELIVERY_RECEIPT,
            source,
            provider_message_id=f"{provider_id}{uuid.uuid4().hex[:6]}",
            receipt_status="DELIVRD",
        )
        assert await apply(sessions, receipt)  # no submission known: parked

    assert await apply(sessions, erased(ws, phone))

    assert await parked_sources(sessions, ws) == ["", "", "+33612660004", "not-a-number"]
    async with sessions() as session:
        statuses = await session.scalars(
            sa.select(ParkedReceipt.payload["receipt_status"].astext).where(
                ParkedReceipt.workspace_id == ws
            )
        )
        assert set(statuses) == {"DELIVRD"}


async def test_deliveries_of_the_number_or_the_contact_lose_their_recipient(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone, contact_id = f"ws-erase-{uuid.uuid4().hex[:8]}", "+33612660005", uuid.uuid4()
    sent = {
        "number": submitted(ws, phone, None),  # a message to the number, sent to no contact
        "contact": submitted(ws, phone, contact_id),
        "earlier number": submitted(ws, "+33612660006", contact_id),
        "someone else": submitted(ws, "+33612660007", uuid.uuid4()),
        "other workspace": submitted("ws-erase-other", phone, contact_id),
    }
    for event in sent.values():
        assert await apply(sessions, event)

    assert await apply(sessions, erased(ws, phone, contact_id))

    async with sessions() as session:
        rows = {
            name: await session.get(Delivery, event.payload.message_id)
            for name, event in sent.items()
        }
    recipients = {name: (row.phone, row.contact_id) for name, row in rows.items() if row}
    assert recipients == {
        "number": (None, None),
        "contact": (None, None),
        "earlier number": (None, None),
        "someone else": ("+33612660007", sent["someone else"].payload.contact_id),
        "other workspace": (phone, contact_id),
    }
    assert {row.status for row in rows.values() if row} == {"unknown"}  # the states stay


async def test_a_submission_arriving_after_the_erasure_keeps_no_recipient(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """It waited in the backlog of `sms.submitted` while `contact.erased` was applied."""
    ws, phone, contact_id = f"ws-erase-{uuid.uuid4().hex[:8]}", "+33612660008", uuid.uuid4()
    event = erased(ws, phone, contact_id)
    assert await apply(sessions, event)
    assert not await apply(sessions, event)
    late = submitted(ws, phone, contact_id)
    assert await apply(sessions, late)
    async with sessions() as session:
        row = await session.get(Delivery, late.payload.message_id)
    assert row is not None
    assert (row.phone, row.contact_id, row.status) == (None, None, "unknown")


def test_submissions_hold_no_number() -> None:
    columns = set(sa.inspect(Submission).columns.keys())
    assert not columns & {"phone", "source", "destination", "text"}
