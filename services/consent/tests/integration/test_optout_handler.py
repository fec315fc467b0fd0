"""`optout.received` through the real handler, in a real transaction, on the migrated database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentEntry, ConsentState
from herald_events import Envelope
from herald_events.models.receipts import OptoutReceivedV1, OptoutScope
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX

GROUP = "consent.optouts"


def optout(workspace: str, phone: str, **fields: Any) -> Envelope[Any]:
    defaults: dict[str, Any] = {
        "phone": phone,
        "source": "keyword",
        "keyword": "STOP",
        "inbound_id": uuid.uuid4(),
        "received_at": datetime(2026, 11, 24, 10, 17, tzinfo=UTC),
    }
    payload = OptoutReceivedV1(**{**defaults, **fields})
    return Envelope[Any](
        type="optout.received",
        version=1,
        workspace_id=workspace,
        producer="receipts",
        correlation_id=uuid.uuid4(),
        payload=payload,
    )


async def apply(sessions: async_sessionmaker[AsyncSession], event: Envelope[Any]) -> bool:
    (subscription,) = groups()[GROUP]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("consent"), GROUP, subscription, event)


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


async def entries(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[ConsentEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ConsentEntry)
            .where(ConsentEntry.workspace_id == workspace, ConsentEntry.phone == phone)
            .order_by(ConsentEntry.created_at)
        )
        return list(rows)


async def changes(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == "consent.changed", OUTBOX.c.key == phone)
            .order_by(OUTBOX.c.id)
        )
        return [v for v in values if v["workspace_id"] == workspace]


async def test_a_stop_opts_out_both_purposes_for_every_brand(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = optout("ws-stop", "+33612340001")
    assert await apply(sessions, event)
    assert await states(sessions, "ws-stop", "+33612340001") == {
        ("marketing", "*", "opted_out"),
        ("transactional", "*", "opted_out"),
    }
    written = await entries(sessions, "ws-stop", "+33612340001")
    assert [(e.action, e.source, e.brand) for e in written] == [
        ("opt_out", "keyword", "*"),
        ("opt_out", "keyword", "*"),
    ]
    assert written[0].evidence["keyword"] == "STOP"
    assert written[0].evidence["inbound_id"] == str(event.payload.inbound_id)
    assert written[0].evidence["received_at"] == "2026-11-24T10:17:00+00:00"
    announced = await changes(sessions, "ws-stop", "+33612340001")
    assert sorted(a["payload"]["purpose"] for a in announced) == ["marketing", "transactional"]
    assert all(a["payload"]["status"] == "opted_out" for a in announced)
    assert all(a["causation_id"] == str(event.event_id) for a in announced)
    assert all(a["correlation_id"] == str(event.correlation_id) for a in announced)


async def test_the_same_event_twice_is_applied_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = optout("ws-stop-dup", "+33612340002")
    assert await apply(sessions, event)
    assert not await apply(sessions, event)
    assert len(await entries(sessions, "ws-stop-dup", "+33612340002")) == 2
    assert len(await changes(sessions, "ws-stop-dup", "+33612340002")) == 2


async def test_a_second_stop_is_evidence_but_announces_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await apply(sessions, optout("ws-stop-again", "+33612340003"))
    await apply(sessions, optout("ws-stop-again", "+33612340003", keyword="ARRET"))
    assert len(await entries(sessions, "ws-stop-again", "+33612340003")) == 4
    assert len(await changes(sessions, "ws-stop-again", "+33612340003")) == 2


async def test_a_brand_optout_covers_that_brand_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await apply(
        sessions,
        optout("ws-brand", "+33612340004", scope=OptoutScope.BRAND, brand="acme", source="api"),
    )
    assert await states(sessions, "ws-brand", "+33612340004") == {
        ("marketing", "acme", "opted_out"),
        ("transactional", "acme", "opted_out"),
    }
    assert {e.source for e in await entries(sessions, "ws-brand", "+33612340004")} == {"api"}


async def test_workspaces_are_kept_apart(sessions: async_sessionmaker[AsyncSession]) -> None:
    await apply(sessions, optout("ws-a", "+33612340005"))
    assert await states(sessions, "ws-b", "+33612340005") == set()
    assert await changes(sessions, "ws-b", "+33612340005") == []
