"""START (`sms.inbound` with keyword opt_in) through the real handler on the migrated
database: it lifts an opt-out of the same scope, and never creates marketing consent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_consent import service
from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentEntry, ConsentState
from herald_consent.schemas import ConsentCreate
from herald_events import Envelope
from herald_events.models.receipts import (
    KeywordKind,
    OptoutReceivedV1,
    OptoutScope,
    SmsInboundV1,
)
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX


def envelope(workspace: str, topic: str, payload: Any) -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="receipts", payload=payload
    )


def start(workspace: str, phone: str, **fields: Any) -> Envelope[Any]:
    payload = SmsInboundV1(
        inbound_id=uuid.uuid4(),
        phone=phone,
        destination="36111",
        text="START",
        keyword=KeywordKind.OPT_IN,
        matched="START",
        received_at=datetime.now(UTC),
        **fields,
    )
    return envelope(workspace, "sms.inbound", payload)


def stop(workspace: str, phone: str, **fields: Any) -> Envelope[Any]:
    payload = OptoutReceivedV1(
        phone=phone, source="keyword", keyword="STOP", received_at=datetime.now(UTC), **fields
    )
    return envelope(workspace, "optout.received", payload)


async def apply(
    sessions: async_sessionmaker[AsyncSession], group: str, event: Envelope[Any]
) -> bool:
    (subscription,) = groups()[group]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("consent"), group, subscription, event)


async def opt_in(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str, brand: str
) -> None:
    data = ConsentCreate.model_validate(
        {
            "phone": phone,
            "purpose": "marketing",
            "brand": brand,
            "source": "web_form",
            "evidence": {
                "wording": "J'accepte les SMS de Acme.",
                "wording_version": "v1",
                "collected_at": "2026-12-01T10:00:00+01:00",
            },
        }
    )
    async with transaction(sessions) as session:
        await service.record_consent(session, Outbox("consent"), workspace, data, "FR", "k1")


async def states(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> set[tuple[str, str, str]]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ConsentState).where(
                ConsentState.workspace_id == workspace, ConsentState.phone == phone
            )
        )
        return {(r.purpose, r.brand, r.status) for r in rows}


async def keyword_entries(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[ConsentEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ConsentEntry)
            .where(
                ConsentEntry.workspace_id == workspace,
                ConsentEntry.phone == phone,
                ConsentEntry.action == "opt_in",
                ConsentEntry.source == "keyword",
            )
            .order_by(ConsentEntry.seq)
        )
        return list(rows)


async def changes(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[tuple[str, str, str, str]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == "consent.changed", OUTBOX.c.key == phone)
            .order_by(OUTBOX.c.id)
        )
        return [
            (p["purpose"], p["brand"], p["status"], p["source"])
            for v in values
            if v["workspace_id"] == workspace
            for p in [v["payload"]]
        ]


async def test_start_after_a_brand_stop_restores_that_brand(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = "ws-start-brand", "+33612770001"
    await opt_in(sessions, ws, phone, "acme")
    await apply(sessions, "consent.optouts", stop(ws, phone, scope=OptoutScope.BRAND, brand="acme"))
    event = start(ws, phone, scope=OptoutScope.BRAND, brand="acme")

    assert await apply(sessions, "consent.inbound", event)

    assert await states(sessions, ws, phone) == {
        ("marketing", "acme", "opted_in"),
        ("transactional", "acme", "opted_in"),
    }
    restored = await keyword_entries(sessions, ws, phone)
    assert [(e.purpose, e.brand) for e in restored] == [
        ("marketing", "acme"),
        ("transactional", "acme"),
    ]
    assert restored[0].evidence["keyword"] == "START"
    assert restored[0].evidence["inbound_id"] == str(event.payload.inbound_id)
    assert restored[0].evidence["scope"] == "brand"
    assert restored[0].recorded_by == "system:receipts"
    assert (await changes(sessions, ws, phone))[-2:] == [
        ("marketing", "acme", "opted_in", "keyword"),
        ("transactional", "acme", "opted_in", "keyword"),
    ]


async def test_start_never_creates_marketing_consent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A global STOP from a number that never opted in to marketing: START lifts the
    transactional opt-out only."""
    ws, phone = "ws-start-never", "+33612770002"
    await apply(sessions, "consent.optouts", stop(ws, phone))

    assert await apply(sessions, "consent.inbound", start(ws, phone, scope=OptoutScope.GLOBAL))

    assert await states(sessions, ws, phone) == {
        ("marketing", "*", "opted_out"),
        ("transactional", "*", "opted_in"),
    }
    assert [(e.purpose, e.brand) for e in await keyword_entries(sessions, ws, phone)] == [
        ("transactional", "*")
    ]


async def test_a_global_start_does_not_lift_a_brand_opt_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = "ws-start-scope", "+33612770003"
    await opt_in(sessions, ws, phone, "acme")
    await apply(sessions, "consent.optouts", stop(ws, phone, scope=OptoutScope.BRAND, brand="acme"))
    before = await changes(sessions, ws, phone)

    assert await apply(sessions, "consent.inbound", start(ws, phone))  # no scope: global

    assert ("marketing", "acme", "opted_out") in await states(sessions, ws, phone)
    assert await keyword_entries(sessions, ws, phone) == []
    assert await changes(sessions, ws, phone) == before


async def test_start_without_an_opt_out_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = "ws-start-nothing", "+33612770004"
    await opt_in(sessions, ws, phone, "acme")
    before = await changes(sessions, ws, phone)
    assert await apply(sessions, "consent.inbound", start(ws, phone))
    assert await keyword_entries(sessions, ws, phone) == []
    assert await changes(sessions, ws, phone) == before


async def test_a_second_start_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    ws, phone = "ws-start-twice", "+33612770005"
    await opt_in(sessions, ws, phone, "acme")
    await apply(sessions, "consent.optouts", stop(ws, phone, scope=OptoutScope.BRAND, brand="acme"))
    brand = {"scope": OptoutScope.BRAND, "brand": "acme"}
    assert await apply(sessions, "consent.inbound", start(ws, phone, **brand))
    assert await apply(sessions, "consent.inbound", start(ws, phone, **brand))
    assert len(await keyword_entries(sessions, ws, phone)) == 2
