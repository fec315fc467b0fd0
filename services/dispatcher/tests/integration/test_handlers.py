"""Event handlers on the real database, and the whole path through the real Kafka."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_dispatcher.events.subscriptions import groups
from herald_dispatcher.models import CampaignView, ConsentView, Message
from herald_events import Envelope
from herald_events.models.campaigns import CampaignState, CampaignUpdatedV1, SmsRequestedV1
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_events.models.receipts import OptoutReceivedV1, OptoutScope
from herald_kit.consumer import ConsumerRunner, HandlerContext, Subscription, apply_once
from herald_kit.db import transaction
from herald_kit.kafka import encode_envelope, make_producer, value_bytes
from herald_kit.outbox import Outbox
from herald_kit.settings import KafkaSettings
from herald_kit.tables import OUTBOX
from herald_stack.kafka import KafkaBroker

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def envelope(topic: str, payload: BaseModel, workspace: str = "ws-h") -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="test", payload=payload
    )


def subscription(topic: str) -> tuple[str, Subscription]:
    for group, subscriptions in groups().items():
        for sub in subscriptions:
            if sub.topic == topic:
                return group, sub
    raise LookupError(topic)


async def apply(sessions: Sessions, topic: str, event: Envelope[Any]) -> bool:
    group, sub = subscription(topic)
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("dispatcher"), group, sub, event)


def sms(**fields: Any) -> SmsRequestedV1:
    values: dict[str, Any] = {
        "message_id": uuid.uuid4(),
        "phone": "+33612345678",
        "text": "Votre colis arrive demain.",
        "category": "transactional",
        "sender": "HERALD",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
        **fields,
    }
    return SmsRequestedV1(**values)


async def consent_rows(sessions: Sessions) -> set[tuple[str, str, str, str, str]]:
    async with sessions() as session:
        rows = (await session.scalars(sa.select(ConsentView))).all()
    return {(r.workspace_id, r.phone, r.purpose, r.brand, r.status) for r in rows}


class TestSmsRequested:
    async def test_a_request_is_queued_once_even_when_sent_again(self, sessions: Sessions) -> None:
        request = sms(not_before=datetime.now(UTC) + timedelta(minutes=5), priority="low")
        assert await apply(sessions, "sms.requested", envelope("sms.requested", request))
        again = envelope("sms.requested", request.model_copy(update={"text": "changed"}))
        assert await apply(sessions, "sms.requested", again)  # a new event, the same message
        async with sessions() as session:
            rows = (await session.scalars(sa.select(Message))).all()
            outbox = (await session.execute(sa.select(OUTBOX))).all()
        [row] = rows
        assert (row.status, row.text, row.workspace_id) == ("queued", request.text, "ws-h")
        assert row.priority == 2
        assert row.next_attempt_at == request.not_before
        assert (row.segments, row.encoding) == (1, "GSM7")
        assert outbox == []

    async def test_a_run_at_once_queues_what_one_by_one_queues(self, sessions: Sessions) -> None:
        later = datetime.now(UTC) + timedelta(minutes=5)
        requests = [
            sms(phone="+33612345690", not_before=later, priority="low"),
            sms(phone="+33612345691", category="marketing", text="Soldes : -30 % ! " + "ê" * 80),
        ]
        repeat = requests[0].model_copy(update={"text": "changed"})  # a new event, same message
        one_by_one = [r.model_copy(update={"message_id": uuid.uuid4()}) for r in requests]
        for request in [*one_by_one, one_by_one[0].model_copy(update={"text": "changed"})]:
            assert await apply(sessions, "sms.requested", envelope("sms.requested", request))
        group, sub = subscription("sms.requested")
        assert sub.handle_many is not None
        async with transaction(sessions) as session:
            context = HandlerContext(session=session, outbox=Outbox("dispatcher"), group=group)
            events = [envelope("sms.requested", r) for r in [*requests, repeat]]
            await sub.handle_many(events, context)
        async with sessions() as session:
            rows = {m.message_id: m for m in (await session.scalars(sa.select(Message))).all()}

        def seen(message_id: uuid.UUID) -> tuple[Any, ...]:
            row = rows[message_id]
            return (
                row.status,
                row.text,
                row.phone,
                row.category,
                row.priority,
                row.not_before,
                row.next_attempt_at if row.not_before else None,
                row.segments,
                row.encoding,
            )

        for at_once, alone in zip(requests, one_by_one, strict=True):
            assert seen(at_once.message_id) == seen(alone.message_id)
        assert rows[requests[0].message_id].text == requests[0].text  # the first one stays
        assert rows[requests[1].message_id].encoding == "UCS2"


class TestSuppressionProjection:
    async def test_consent_changes_keep_the_latest_state(self, sessions: Sessions) -> None:
        def change(status: str, at: datetime) -> Envelope[Any]:
            return envelope(
                "consent.changed",
                ConsentChangedV1(
                    phone="+33612345678",
                    purpose="marketing",
                    brand="acme",
                    status=ConsentStatus(status),
                    ledger_entry_id=uuid.uuid4(),
                    source="test",
                    changed_at=at,
                ),
            )

        await apply(sessions, "consent.changed", change("opted_in", T0))
        await apply(sessions, "consent.changed", change("opted_out", T0 + timedelta(minutes=2)))
        await apply(sessions, "consent.changed", change("opted_in", T0 + timedelta(minutes=1)))
        assert await consent_rows(sessions) == {
            ("ws-h", "+33612345678", "marketing", "acme", "opted_out")
        }

    async def test_a_run_of_changes_at_once_ends_as_one_by_one(self, sessions: Sessions) -> None:
        def change(workspace: str, phone: str, status: str, at: datetime) -> Envelope[Any]:
            return envelope(
                "consent.changed",
                ConsentChangedV1(
                    phone=phone,
                    purpose="marketing",
                    brand="acme",
                    status=ConsentStatus(status),
                    ledger_entry_id=uuid.uuid4(),
                    source="test",
                    changed_at=at,
                ),
                workspace,
            )

        def run(workspace: str) -> list[Envelope[Any]]:
            return [
                change(workspace, "+33612345601", "opted_in", T0),
                change(workspace, "+33612345601", "opted_out", T0 + timedelta(minutes=2)),
                change(workspace, "+33612345601", "opted_in", T0 + timedelta(minutes=1)),
                change(workspace, "+33612345602", "opted_in", T0),
                change(workspace, "+33612345602", "opted_out", T0),  # a tie: the later one
            ]

        for event in run("ws-one"):
            await apply(sessions, "consent.changed", event)
        group, sub = subscription("consent.changed")
        assert sub.handle_many is not None
        async with transaction(sessions) as session:
            context = HandlerContext(session=session, outbox=Outbox("dispatcher"), group=group)
            await sub.handle_many([*run("ws-many"), *run("ws-many-2")], context)
        rows = await consent_rows(sessions)
        one = {row[1:] for row in rows if row[0] == "ws-one"}
        assert one == {
            ("+33612345601", "marketing", "acme", "opted_out"),
            ("+33612345602", "marketing", "acme", "opted_out"),
        }
        assert {row[1:] for row in rows if row[0] == "ws-many"} == one
        assert {row[1:] for row in rows if row[0] == "ws-many-2"} == one

    async def test_a_global_stop_opts_out_of_both_purposes_for_every_brand(
        self, sessions: Sessions
    ) -> None:
        stop = OptoutReceivedV1(
            phone="+33612345678", source="keyword", keyword="STOP", received_at=T0
        )
        await apply(sessions, "optout.received", envelope("optout.received", stop))
        brand_stop = OptoutReceivedV1(
            phone="+33699999999",
            scope=OptoutScope.BRAND,
            brand="acme",
            source="api",
            received_at=T0,
        )
        await apply(sessions, "optout.received", envelope("optout.received", brand_stop))
        assert await consent_rows(sessions) == {
            ("ws-h", "+33612345678", "marketing", "*", "opted_out"),
            ("ws-h", "+33612345678", "transactional", "*", "opted_out"),
            ("ws-h", "+33699999999", "marketing", "acme", "opted_out"),
        }


class TestCampaignProjection:
    async def test_newer_states_win_cancel_is_final_and_workspaces_are_apart(
        self, sessions: Sessions
    ) -> None:
        campaign_id = uuid.uuid4()

        async def update(state: str, at: datetime, workspace: str = "ws-h") -> None:
            payload = CampaignUpdatedV1(
                campaign_id=campaign_id, state=CampaignState(state), changed_at=at
            )
            await apply(
                sessions, "campaign.updated", envelope("campaign.updated", payload, workspace)
            )

        async def state() -> str:
            async with sessions() as session:
                row = await session.get(CampaignView, campaign_id)
                assert row is not None
                return row.state

        await update("paused", T0)
        await update("running", T0 - timedelta(minutes=1))  # late and older: ignored
        assert await state() == "paused"
        await update("running", T0 + timedelta(minutes=1), workspace="ws-intruder")
        assert await state() == "paused"
        await update("cancelled", T0 + timedelta(minutes=2))
        await update("running", T0 + timedelta(minutes=3))
        assert await state() == "cancelled"


class TestThroughKafka:
    async def test_requests_and_consent_from_kafka_end_at_the_smsc(
        self,
        sessions: Sessions,
        kafka_broker: KafkaBroker,
        run_sender: Any,
        smsc_api: httpx.AsyncClient,
        eventually: Any,
    ) -> None:
        kafka = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
        workspace = f"ws-kafka-{uuid.uuid4().hex[:8]}"
        phone = "+33655500001"
        consent = ConsentChangedV1(
            phone=phone,
            purpose="marketing",
            status=ConsentStatus.OPTED_IN,
            ledger_entry_id=uuid.uuid4(),
            source="test",
            changed_at=datetime.now(UTC),
        )
        request = sms(phone=phone, category="marketing")
        producer = make_producer(kafka, "test")
        await producer.start()
        try:
            for topic, payload in (("consent.changed", consent), ("sms.requested", request)):
                await producer.send_and_wait(
                    topic,
                    value=value_bytes(encode_envelope(envelope(topic, payload, workspace))),
                    key=phone.encode(),
                )
        finally:
            await producer.stop()
        dlq = make_producer(kafka, "test-dlq")
        await dlq.start()
        suffix = uuid.uuid4().hex[:8]  # fresh groups: read this test's records from the start
        runners = [
            ConsumerRunner(
                group=f"{group}.{suffix}",
                subscriptions=subs,
                sessions=sessions,
                outbox=Outbox("dispatcher"),
                kafka=kafka,
                dlq_producer=dlq,
            )
            for group, subs in groups().items()
        ]
        tasks = [asyncio.create_task(runner.run()) for runner in runners]

        async def submitted() -> bool:
            async with sessions() as session:
                row = await session.get(Message, request.message_id)
            return row is not None and row.status == "submitted"

        async def state_of_things() -> str:
            """What the test saw when it gave up: the ledger by status, and this message."""
            async with sessions() as session:
                counts = dict(
                    (
                        await session.execute(
                            sa.select(Message.status, sa.func.count()).group_by(Message.status)
                        )
                    ).all()
                )
                row = await session.get(Message, request.message_id)
            mine = None if row is None else (row.status, row.suppression_reason, row.last_error)
            return f"ledger by status {counts}; this message {mine}"

        try:
            async with run_sender():
                try:
                    await eventually(submitted, within=90)
                except AssertionError as error:
                    raise AssertionError(f"{error}: {await state_of_things()}") from None
        finally:
            for runner in runners:
                runner.stop()
            await asyncio.gather(*tasks)
            await dlq.stop()
        entries = (await smsc_api.get("/ledger", params={"destination": phone})).json()
        assert len(entries["entries"]) == 1
