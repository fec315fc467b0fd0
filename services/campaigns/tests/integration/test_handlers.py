"""Handlers on the real database, through the runner's inbox (and once through Kafka)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns import service
from herald_campaigns.events.subscriptions import groups
from herald_campaigns.models import ConsentProjection, ExpansionJob
from herald_campaigns.schemas import AllContactsAudience, CampaignCreate
from herald_events import Envelope
from herald_events.models.campaigns import CampaignScheduledV1
from herald_events.models.common import Category
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_kit.consumer import ConsumerRunner, HandlerContext, apply_once
from herald_kit.db import transaction
from herald_kit.kafka import encode_envelope, make_producer, value_bytes
from herald_kit.outbox import Outbox
from herald_kit.settings import KafkaSettings
from herald_kit.tables import OUTBOX
from herald_stack.kafka import KafkaBroker

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ConsentRecorder = Callable[..., Awaitable[None]]


def workspace(prefix: str) -> str:
    """A workspace of its own for each test: the database is shared by the session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def projection(
    sessions: async_sessionmaker[AsyncSession], workspace_id: str
) -> dict[tuple[str, str, str], str]:
    async with sessions() as session:
        rows = (
            await session.scalars(
                sa.select(ConsentProjection).where(ConsentProjection.workspace_id == workspace_id)
            )
        ).all()
    return {(r.phone, r.purpose, r.brand): r.status for r in rows}


class TestConsentChanged:
    async def test_the_latest_change_wins_whatever_the_arrival_order(
        self, sessions: async_sessionmaker[AsyncSession], record_consent: ConsentRecorder
    ) -> None:
        ws = workspace("ws-consent")
        phone = "+33612345678"
        await record_consent(ws, phone, "opted_in", changed_at=T0)
        assert await projection(sessions, ws) == {(phone, "marketing", "default"): "opted_in"}
        await record_consent(ws, phone, "opted_out", changed_at=T0 + timedelta(minutes=5))
        await record_consent(ws, phone, "opted_in", changed_at=T0 + timedelta(minutes=1))  # late
        assert await projection(sessions, ws) == {(phone, "marketing", "default"): "opted_out"}
        await record_consent(ws, phone, "opted_in", brand="*", changed_at=T0)
        await record_consent(ws, phone, "opted_out", purpose="transactional", changed_at=T0)
        assert await projection(sessions, ws) == {
            (phone, "marketing", "default"): "opted_out",
            (phone, "marketing", "*"): "opted_in",
            (phone, "transactional", "default"): "opted_out",
        }
        assert await projection(sessions, workspace("ws-consent")) == {}

    async def test_a_run_at_once_ends_as_one_event_at_a_time(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox
    ) -> None:
        subscription = groups()["campaigns.consent"][0]
        assert subscription.handle_many is not None

        def change(ws: str, phone: str, status: str, at: datetime, **more: Any) -> Envelope[Any]:
            payload = ConsentChangedV1(
                phone=phone,
                purpose="marketing",
                status=ConsentStatus(status),
                ledger_entry_id=uuid.uuid4(),
                source="import",
                changed_at=at,
                **more,
            )
            return Envelope[Any](
                type="consent.changed",
                version=1,
                workspace_id=ws,
                producer="consent",
                payload=payload,
            )

        def run(ws: str) -> list[Envelope[Any]]:
            return [
                change(ws, "+33612345001", "opted_in", T0),
                change(ws, "+33612345001", "opted_out", T0 + timedelta(minutes=5)),
                change(ws, "+33612345001", "opted_in", T0 + timedelta(minutes=1)),  # late
                change(ws, "+33612345002", "opted_in", T0),
                change(ws, "+33612345002", "opted_out", T0),  # a tie: the later one wins
                change(ws, "+33612345002", "opted_in", T0, brand="*"),
            ]

        one, many = workspace("ws-one"), workspace("ws-many")
        for event in run(one):
            async with transaction(sessions) as session:
                await apply_once(session, outbox, "campaigns.consent", subscription, event)
        async with transaction(sessions) as session:
            context = HandlerContext(session=session, outbox=outbox, group="campaigns.consent")
            await subscription.handle_many(run(many), context)
        expected = {
            ("+33612345001", "marketing", "default"): "opted_out",
            ("+33612345002", "marketing", "default"): "opted_out",
            ("+33612345002", "marketing", "*"): "opted_in",
        }
        assert await projection(sessions, one) == expected
        assert await projection(sessions, many) == expected

    async def test_an_event_applied_twice_changes_nothing(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox
    ) -> None:
        ws = workspace("ws-consent")
        subscription = groups()["campaigns.consent"][0]
        envelope = Envelope[Any](
            type="consent.changed",
            version=1,
            workspace_id=ws,
            producer="consent",
            payload=ConsentChangedV1(
                phone="+33612345679",
                purpose="marketing",
                status=ConsentStatus.OPTED_IN,
                ledger_entry_id=uuid.uuid4(),
                source="web_form",
                changed_at=T0,
            ),
        )
        results = []
        for _ in range(2):
            async with transaction(sessions) as session:
                results.append(
                    await apply_once(session, outbox, "campaigns.consent", subscription, envelope)
                )
        assert results == [True, False]
        assert await projection(sessions, ws) == {
            ("+33612345679", "marketing", "default"): "opted_in"
        }

    async def test_the_runner_applies_events_from_the_real_broker(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        kafka_broker: KafkaBroker,
    ) -> None:
        ws = workspace("ws-kafka")
        kafka = KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
        envelope = outbox.envelope(
            "consent.changed",
            ConsentChangedV1(
                phone="+33699887766",
                purpose="marketing",
                brand="default",
                status=ConsentStatus.OPTED_IN,
                ledger_entry_id=uuid.uuid4(),
                source="web_form",
                changed_at=T0,
            ),
            workspace_id=ws,
        )
        producer = make_producer(kafka, "campaigns-test")
        await producer.start()
        try:
            await producer.send_and_wait(
                "consent.changed", value_bytes(encode_envelope(envelope)), key=b"+33699887766"
            )
        finally:
            await producer.stop()
        dlq_producer = make_producer(kafka, "campaigns-test-dlq")
        await dlq_producer.start()
        runner = ConsumerRunner(
            group=f"campaigns.consent-test-{uuid.uuid4().hex[:6]}",
            subscriptions=groups()["campaigns.consent"],
            sessions=sessions,
            outbox=outbox,
            kafka=kafka,
            dlq_producer=dlq_producer,
        )
        task = asyncio.create_task(runner.run())
        try:
            async with asyncio.timeout(30):
                while not await projection(sessions, ws):
                    assert not task.done(), task
                    await asyncio.sleep(0.1)
        finally:
            runner.stop()
            await asyncio.wait_for(task, timeout=30)
            await dlq_producer.stop()
        assert await projection(sessions, ws) == {
            ("+33699887766", "marketing", "default"): "opted_in"
        }


class TestCampaignScheduled:
    async def _campaign(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, ws: str, *, launch: bool
    ) -> uuid.UUID:
        async with transaction(sessions) as session:
            campaign = await service.create_campaign(
                session,
                ws,
                CampaignCreate(
                    name="c",
                    template="Bonjour {{first_name}}",
                    category=Category.MARKETING,
                    sender="HERALD",
                    audience=AllContactsAudience(type="all_contacts"),
                ),
            )
            if launch:
                await service.launch_campaign(session, outbox, ws, campaign.id)
        return campaign.id

    async def _scheduled(
        self, sessions: async_sessionmaker[AsyncSession], ws: str, campaign_id: uuid.UUID
    ) -> Envelope[Any]:
        async with sessions() as session:
            value = (
                await session.execute(
                    sa.select(OUTBOX.c.value).where(
                        OUTBOX.c.key == str(campaign_id), OUTBOX.c.topic == "campaign.scheduled"
                    )
                )
            ).scalar_one()
        return Envelope[Any](**{**value, "payload": CampaignScheduledV1(**value["payload"])})

    async def _apply(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox, event: Envelope[Any]
    ) -> bool:
        async with transaction(sessions) as session:
            return await apply_once(
                session, outbox, "campaigns.scheduled", groups()["campaigns.scheduled"][0], event
            )

    async def _job(
        self, sessions: async_sessionmaker[AsyncSession], campaign_id: uuid.UUID
    ) -> ExpansionJob | None:
        async with sessions() as session:
            return await session.get(ExpansionJob, campaign_id)

    async def test_a_lost_job_is_restored_and_an_existing_one_left_alone(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox
    ) -> None:
        ws = workspace("ws-scheduled")
        campaign_id = await self._campaign(sessions, outbox, ws, launch=True)
        event = await self._scheduled(sessions, ws, campaign_id)
        assert await self._apply(sessions, outbox, event)
        job = await self._job(sessions, campaign_id)
        assert job is not None
        assert job.state == "pending"
        async with transaction(sessions) as session:
            await session.execute(
                sa.delete(ExpansionJob).where(ExpansionJob.campaign_id == campaign_id)
            )
        # The same event again is a duplicate for the inbox; a redelivery under a new id
        # (say, a replay from the DLQ) restores the job.
        assert not await self._apply(sessions, outbox, event)
        assert await self._job(sessions, campaign_id) is None
        replayed = event.model_copy(update={"event_id": uuid.uuid4()})
        assert await self._apply(sessions, outbox, replayed)
        restored = await self._job(sessions, campaign_id)
        assert restored is not None
        assert (restored.workspace_id, restored.state, restored.cursor) == (ws, "pending", None)

    async def test_unknown_campaigns_and_other_workspaces_change_nothing(
        self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox
    ) -> None:
        ws = workspace("ws-scheduled")
        campaign_id = await self._campaign(sessions, outbox, ws, launch=True)
        event = await self._scheduled(sessions, ws, campaign_id)
        async with transaction(sessions) as session:
            await session.execute(
                sa.delete(ExpansionJob).where(ExpansionJob.campaign_id == campaign_id)
            )
        elsewhere = event.model_copy(
            update={"event_id": uuid.uuid4(), "workspace_id": workspace("ws-intruder")}
        )
        assert await self._apply(sessions, outbox, elsewhere)
        assert await self._job(sessions, campaign_id) is None
        draft_id = await self._campaign(sessions, outbox, ws, launch=False)
        for_draft = event.model_copy(
            update={
                "event_id": uuid.uuid4(),
                "payload": event.payload.model_copy(update={"campaign_id": draft_id}),
            }
        )
        assert await self._apply(sessions, outbox, for_draft)
        assert await self._job(sessions, draft_id) is None
