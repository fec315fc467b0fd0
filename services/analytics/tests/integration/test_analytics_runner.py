"""The real consumer groups on the real broker: a duplicate event counts once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from analytics_support import at, delivered, inbound, new_workspace, requested, submitted
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_analytics import service
from herald_analytics.errors import CampaignNotFound
from herald_analytics.events.subscriptions import groups
from herald_analytics.models import DailyEngagement
from herald_events import Envelope
from herald_kit.consumer import ConsumerRunner
from herald_kit.db import transaction
from herald_kit.kafka import encode_envelope, make_producer, value_bytes
from herald_kit.outbox import Outbox
from herald_kit.settings import KafkaSettings
from herald_stack.kafka import KafkaBroker

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def producer(kafka_broker: KafkaBroker) -> AsyncIterator[AIOKafkaProducer]:
    producer = make_producer(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap), "test")
    await producer.start()
    yield producer
    await producer.stop()


async def _publish(producer: AIOKafkaProducer, key: str, *events: Envelope[Any]) -> None:
    for event in events:
        await producer.send_and_wait(
            event.type, value=value_bytes(encode_envelope(event)), key=key.encode()
        )


async def _run_groups_until(
    sessions: Sessions,
    bootstrap: str,
    producer: AIOKafkaProducer,
    done: Callable[[], Awaitable[bool]],
    seconds: float = 45,
) -> None:
    """Every group of the service, each under a name of its own for this test (so committed
    offsets and inbox rows of other tests do not interfere), until `done()` holds."""
    suffix = uuid.uuid4().hex[:6]
    runners = [
        ConsumerRunner(
            group=f"{group}-{suffix}",
            subscriptions=subscriptions,
            sessions=sessions,
            outbox=Outbox("analytics"),
            kafka=KafkaSettings(bootstrap_servers=bootstrap),
            dlq_producer=producer,
        )
        for group, subscriptions in groups().items()
    ]
    tasks = [asyncio.create_task(runner.run()) for runner in runners]
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while not await done():
            assert not any(task.done() for task in tasks), "a consumer stopped"
            assert asyncio.get_running_loop().time() < deadline, "events not applied in time"
            await asyncio.sleep(0.1)
    finally:
        for runner in runners:
            runner.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)


async def _engagement(sessions: Sessions, workspace: str) -> dict[Any, int]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(DailyEngagement.day, DailyEngagement.count).where(
                DailyEngagement.workspace_id == workspace
            )
        )
        return {day: int(count) for day, count in rows.all()}


async def test_a_duplicate_event_counts_once(
    sessions: Sessions, kafka_broker: KafkaBroker, producer: AIOKafkaProducer
) -> None:
    workspace, campaign_id, message = new_workspace(), uuid.uuid4(), uuid.uuid4()
    twice = inbound(workspace, at(0))
    sentinel = inbound(workspace, at(86_400))  # after the duplicate, same key and partition
    receipt = delivered(workspace, message, campaign_id)
    await _publish(producer, "+33612345678", twice, twice, sentinel)
    await _publish(
        producer,
        str(message),
        requested(workspace, message, campaign_id),
        submitted(workspace, message, campaign_id),
        receipt,
        receipt,
        submitted(workspace, uuid.uuid4(), campaign_id),  # the sentinel of this partition
    )

    async def applied() -> bool:
        try:
            async with transaction(sessions) as session:
                stats = await service.campaign_stats(session, workspace, campaign_id)
        except CampaignNotFound:
            return False
        engagement = await _engagement(sessions, workspace)
        return at(86_400).date() in engagement and stats.submitted == 2

    await _run_groups_until(sessions, kafka_broker.bootstrap, producer, applied)
    assert await _engagement(sessions, workspace) == {at(0).date(): 1, at(86_400).date(): 1}
    async with transaction(sessions) as session:
        stats = await service.campaign_stats(session, workspace, campaign_id)
    assert (stats.requested, stats.submitted, stats.delivered, stats.pending) == (1, 2, 1, 1)
