"""Outbox → relay → Kafka on the real servers: committed events published, rolled back not."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events.models.campaigns import LinkClickedV1
from herald_kit.db import transaction
from herald_kit.kafka import make_producer
from herald_kit.outbox import Outbox
from herald_kit.outbox_notifications import OutboxNotifications
from herald_kit.relay import OutboxRelay
from herald_kit.settings import KafkaSettings
from herald_kit.tables import OUTBOX
from herald_stack.kafka import KafkaBroker

TOPIC = "link.clicked"


def _click(n: int) -> LinkClickedV1:
    return LinkClickedV1(message_id=uuid.uuid4(), link_token=f"t{n}", clicked_at=datetime.now(UTC))


async def _read_workspace(bootstrap: str, workspace: str, expected: int) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[dict[str, object]] = []
    try:
        for _ in range(60):
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    try:  # other tests put poison records on this topic too
                        document = json.loads(record.value or b"null")
                    except ValueError:
                        continue
                    if isinstance(document, dict) and document.get("workspace_id") == workspace:
                        found.append(document)
            if len(found) >= expected:
                break
    finally:
        await consumer.stop()
    return found


class TestRelay:
    async def test_committed_events_are_published_once_and_marked(
        self, sessions: async_sessionmaker[AsyncSession], kafka_broker: KafkaBroker
    ) -> None:
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        outbox = Outbox("kit-test")
        async with transaction(sessions) as session:
            for n in range(3):
                envelope = outbox.envelope(TOPIC, _click(n), workspace_id=workspace)
                await outbox.add(session, TOPIC, str(n), envelope)

        async def failing_use_case() -> None:
            async with transaction(sessions) as session:
                envelope = outbox.envelope(TOPIC, _click(9), workspace_id=workspace)
                await outbox.add(session, TOPIC, "9", envelope)
                raise RuntimeError("the use case failed after staging its event")

        with pytest.raises(RuntimeError):
            await failing_use_case()

        producer = make_producer(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap), "t")
        await producer.start()
        try:
            relay = OutboxRelay(sessions, producer)
            assert await relay.publish_batch() == 3
            assert await relay.publish_batch() == 0
        finally:
            await producer.stop()

        documents = await _read_workspace(kafka_broker.bootstrap, workspace, 3)
        assert sorted(d["payload"]["link_token"] for d in documents) == ["t0", "t1", "t2"]  # type: ignore[index]
        async with sessions() as session:
            pending = await session.scalar(
                sa.select(sa.func.count()).where(OUTBOX.c.published_at.is_(None))
            )
        assert pending == 0

    async def test_a_repeated_event_id_is_staged_once(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        outbox = Outbox("kit-test")
        event_id = uuid.uuid4()
        for _ in range(2):
            async with transaction(sessions) as session:
                envelope = outbox.envelope(TOPIC, _click(1), workspace_id="w", event_id=event_id)
                await outbox.add(session, TOPIC, "k", envelope)
        async with sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).where(OUTBOX.c.event_id == event_id)
            )
        assert count == 1

    async def test_a_payload_of_the_wrong_topic_is_refused(self) -> None:
        with pytest.raises(TypeError):
            Outbox("kit-test").envelope("sms.submitted", _click(1), workspace_id="w")


class TestWakeUp:
    async def test_an_idle_relay_publishes_at_the_commit_not_at_its_next_poll(
        self, sessions: async_sessionmaker[AsyncSession], kafka_broker: KafkaBroker
    ) -> None:
        """Polls and the fallback are 30 s apart: only the notification can be this quick."""
        notifications = OutboxNotifications(sessions.kw["bind"])
        listening = asyncio.Event()
        listener = asyncio.create_task(notifications.run(listening))
        producer = make_producer(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap), "t")
        await producer.start()
        relay = OutboxRelay(
            sessions, producer, idle_sleep=30.0, notifications=notifications, listen_fallback=30.0
        )
        running = asyncio.create_task(relay.run())
        try:
            for _ in range(100):
                if notifications.listening:
                    break
                await asyncio.sleep(0.05)
            assert notifications.listening
            await asyncio.sleep(0.5)  # the relay found nothing and sleeps
            started = time.monotonic()
            outbox = Outbox("kit-test")
            async with transaction(sessions) as session:
                envelope = outbox.envelope(TOPIC, _click(1), workspace_id="ws-wake")
                await outbox.add(session, TOPIC, "1", envelope)

            async def published() -> bool:
                async with sessions() as session:
                    pending = await session.scalar(
                        sa.select(sa.func.count()).where(OUTBOX.c.published_at.is_(None))
                    )
                return pending == 0

            while not await published():
                assert time.monotonic() - started < 10, "the relay did not wake up"
                await asyncio.sleep(0.02)
        finally:
            relay.stop()
            listening.set()
            await asyncio.wait_for(asyncio.gather(running, listener), 10)
            await producer.stop()
