"""`contact.erased` through the real handler, then the final gate of the real claim, on the
migrated database: the number leaves the ledger, its opt-outs keep it suppressed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_compliance.pseudonyms import phone_pseudonym
from herald_dispatcher import service
from herald_dispatcher.erasure import MessagesInFlight
from herald_dispatcher.events.subscriptions import groups
from herald_dispatcher.models import ConsentView, ErasedContact, ErasedOptout, Message
from herald_events import Envelope
from herald_events.models.campaigns import SmsRequestedV1
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import Subscription, apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX

Sessions = async_sessionmaker[AsyncSession]
WS = "ws-erase"
PHONE = "+33612550001"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def envelope(topic: str, payload: BaseModel, workspace: str = WS) -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="test", payload=payload
    )


def subscription(topic: str) -> tuple[str, Subscription]:
    for group, subscriptions in groups().items():
        for sub in subscriptions:
            if sub.topic == topic:
                return group, sub
    raise LookupError(topic)


async def apply(sessions: Sessions, event: Envelope[Any]) -> bool:
    group, sub = subscription(event.type)
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("dispatcher"), group, sub, event)


def request(phone: str = PHONE, **fields: Any) -> Envelope[Any]:
    values: dict[str, Any] = {
        "message_id": uuid.uuid4(),
        "phone": phone,
        "text": "Votre code : 123456",
        "category": "transactional",
        "sender": "HERALD",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
        **fields,
    }
    return envelope("sms.requested", SmsRequestedV1(**values))


def erased(contact_id: uuid.UUID, phone: str = PHONE, workspace: str = WS) -> Envelope[Any]:
    payload = ContactErasedV1(contact_id=contact_id, phone=phone, erased_at=datetime.now(UTC))
    return envelope("contact.erased", payload, workspace)


def stop(phone: str = PHONE, at: datetime = T0) -> Envelope[Any]:
    return envelope(
        "optout.received", OptoutReceivedV1(phone=phone, source="keyword", received_at=at)
    )


def consent(status: str, at: datetime, phone: str = PHONE, purpose: str = "marketing") -> Any:
    payload = ConsentChangedV1(
        phone=phone,
        purpose=purpose,
        brand="default",
        status=ConsentStatus(status),
        ledger_entry_id=uuid.uuid4(),
        source="test",
        changed_at=at,
    )
    return envelope("consent.changed", payload)


async def messages(sessions: Sessions) -> dict[uuid.UUID, Message]:
    async with sessions() as session:
        return {m.message_id: m for m in await session.scalars(sa.select(Message))}


async def suppressed_events(sessions: Sessions) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == "sms.suppressed")
            .order_by(OUTBOX.c.id)
        )
        return list(values)


async def claim(sessions: Sessions, erasure_key: bytes) -> service.ClaimResult:
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        return await service.claim_batch(
            session,
            Outbox("dispatcher"),
            claim_limit=100,
            send_limit=100,
            sender_id=uuid.uuid4(),
            now=now,
            hold_until=now + timedelta(seconds=1),
            erasure_key=erasure_key,
        )


class TestForget:
    async def test_the_number_is_scrubbed_and_its_queued_messages_suppressed(
        self, sessions: Sessions, erasure_key: bytes
    ) -> None:
        contact_id = uuid.uuid4()
        queued = request(contact_id=contact_id)
        sent = request(contact_id=contact_id)
        neighbour = request(phone="+33612550002")
        for event in (queued, sent, neighbour):
            assert await apply(sessions, event)
        async with transaction(sessions) as session:
            await session.execute(
                sa.update(Message)
                .where(Message.message_id == sent.payload.message_id)
                .values(status="submitted", route="smpp-test", provider_message_ids=["AB12"])
            )
        assert await apply(sessions, stop())
        assert await apply(sessions, consent("opted_in", T0 - timedelta(days=1)))

        assert await apply(sessions, erased(contact_id))

        rows = await messages(sessions)
        for message_id in (queued.payload.message_id, sent.payload.message_id):
            assert (rows[message_id].phone, rows[message_id].text) == ("", "")
            assert rows[message_id].contact_id == contact_id
        assert rows[queued.payload.message_id].status == "suppressed"
        assert rows[queued.payload.message_id].suppression_reason == "contact_erased"
        assert (rows[sent.payload.message_id].status, rows[sent.payload.message_id].route) == (
            "submitted",
            "smpp-test",
        )
        assert rows[sent.payload.message_id].provider_message_ids == ["AB12"]
        assert rows[neighbour.payload.message_id].phone == "+33612550002"
        [announced] = await suppressed_events(sessions)
        assert announced["payload"]["message_id"] == str(queued.payload.message_id)
        assert announced["payload"]["reason"] == "contact_erased"
        async with sessions() as session:
            assert (await session.scalars(sa.select(ConsentView.phone))).all() == []
            kept = (await session.scalars(sa.select(ErasedOptout))).all()
            remembered = (await session.scalars(sa.select(ErasedContact.contact_id))).all()
        pseudonym = phone_pseudonym(erasure_key, WS, PHONE)
        assert {(k.phone_pseudonym, k.purpose, k.brand) for k in kept} == {
            (pseudonym, "marketing", "*"),
            (pseudonym, "transactional", "*"),
        }
        assert remembered == [contact_id]

    async def test_a_message_being_submitted_holds_the_erasure_back(
        self, sessions: Sessions
    ) -> None:
        in_flight = request()
        assert await apply(sessions, in_flight)
        async with transaction(sessions) as session:
            await session.execute(sa.update(Message).values(status="submitting"))

        with pytest.raises(MessagesInFlight):
            await apply(sessions, erased(uuid.uuid4()))

        [row] = (await messages(sessions)).values()
        assert row.phone == PHONE  # nothing was applied: the runner retries the event
        async with transaction(sessions) as session:
            await session.execute(sa.update(Message).values(status="submitted"))
        assert await apply(sessions, erased(uuid.uuid4()))
        [row] = (await messages(sessions)).values()
        assert row.phone == ""

    async def test_other_workspaces_keep_the_same_number(self, sessions: Sessions) -> None:
        other = request()
        other = envelope("sms.requested", other.payload, workspace="ws-keep")
        assert await apply(sessions, other)
        assert await apply(sessions, erased(uuid.uuid4()))
        [row] = (await messages(sessions)).values()
        assert (row.workspace_id, row.phone, row.status) == ("ws-keep", PHONE, "queued")


class TestTheGateAfterAnErasure:
    async def test_a_request_still_on_its_way_is_suppressed_and_scrubbed(
        self, sessions: Sessions, erasure_key: bytes
    ) -> None:
        contact_id = uuid.uuid4()
        assert await apply(sessions, erased(contact_id))
        late = request(contact_id=contact_id)
        assert await apply(sessions, late)

        result = await claim(sessions, erasure_key)

        assert (result.suppressed, result.to_send) == (1, [])
        row = (await messages(sessions))[late.payload.message_id]
        assert (row.status, row.suppression_reason, row.phone, row.text) == (
            "suppressed",
            "contact_erased",
            "",
            "",
        )
        [announced] = await suppressed_events(sessions)
        assert announced["payload"]["reason"] == "contact_erased"

    async def test_an_opted_out_number_that_comes_back_stays_suppressed(
        self, sessions: Sessions, erasure_key: bytes
    ) -> None:
        assert await apply(sessions, stop())
        assert await apply(sessions, erased(uuid.uuid4()))
        back = request(contact_id=uuid.uuid4())  # re-imported: a new contact, no consent event
        assert await apply(sessions, back)

        result = await claim(sessions, erasure_key)

        assert (result.suppressed, result.to_send) == (1, [])
        row = (await messages(sessions))[back.payload.message_id]
        assert (row.status, row.suppression_reason) == ("suppressed", "opted_out")

    async def test_consent_given_after_it_came_back_is_honoured(
        self, sessions: Sessions, erasure_key: bytes
    ) -> None:
        assert await apply(sessions, consent("opted_out", T0))
        assert await apply(sessions, erased(uuid.uuid4()))
        assert await apply(sessions, consent("opted_in", T0 + timedelta(days=1)))
        marketing = request(contact_id=uuid.uuid4(), category="marketing")
        assert await apply(sessions, marketing)

        result = await claim(sessions, erasure_key)

        assert [o.message_id for o in result.to_send] == [marketing.payload.message_id]

    async def test_a_stale_opt_in_arriving_late_does_not_undo_the_kept_opt_out(
        self, sessions: Sessions, erasure_key: bytes
    ) -> None:
        assert await apply(sessions, consent("opted_out", T0))
        assert await apply(sessions, erased(uuid.uuid4()))
        assert await apply(sessions, consent("opted_in", T0 - timedelta(days=1)))
        marketing = request(contact_id=uuid.uuid4(), category="marketing")
        assert await apply(sessions, marketing)

        result = await claim(sessions, erasure_key)

        assert (result.suppressed, result.to_send) == (1, [])
