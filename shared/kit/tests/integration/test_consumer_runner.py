"""The consumer runner on the real broker: once per event, DLQ for poison, commits after."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope
from herald_events.models.campaigns import LinkClickedV1
from herald_kit.consumer import ConsumerRunner, DlqBreaker, HandlerContext, Subscription
from herald_kit.errors import ConsumerStopped, TransientError
from herald_kit.kafka import encode_envelope, make_producer, value_bytes
from herald_kit.outbox import Outbox
from herald_kit.settings import KafkaSettings
from herald_kit.tables import INBOX
from herald_stack.kafka import KafkaBroker

TOPIC = "link.clicked"
SEEN = sa.table("seen", sa.column("event_id"), sa.column("workspace_id"))


def _event(workspace: str, event_id: uuid.UUID | None = None) -> bytes:
    envelope = Envelope[LinkClickedV1](
        event_id=event_id or uuid.uuid4(),
        type=TOPIC,
        version=1,
        workspace_id=workspace,
        producer="test",
        payload=LinkClickedV1(
            message_id=uuid.uuid4(), link_token="x", clicked_at=datetime.now(UTC)
        ),
    )
    document = value_bytes(encode_envelope(envelope))
    assert document is not None
    return document


async def _record_seen(event: Envelope[Any], ctx: HandlerContext) -> None:
    await ctx.session.execute(
        sa.insert(SEEN).values(event_id=event.event_id, workspace_id=event.workspace_id)
    )


async def _count_seen(sessions: async_sessionmaker[AsyncSession], workspace: str) -> int:
    async with sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).select_from(SEEN).where(SEEN.c.workspace_id == workspace)
        )
    return int(count or 0)


async def _send(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(TOPIC, value=value, key=b"k")
    finally:
        await producer.stop()


def _runner(
    sessions: async_sessionmaker[AsyncSession],
    bootstrap: str,
    dlq: AIOKafkaProducer,
    group: str,
    handler: Any = _record_seen,
    breaker: DlqBreaker | None = None,
) -> ConsumerRunner:
    return ConsumerRunner(
        group=group,
        subscriptions=[Subscription(TOPIC, handler)],
        sessions=sessions,
        outbox=Outbox("kit-test"),
        kafka=KafkaSettings(bootstrap_servers=bootstrap),
        dlq_producer=dlq,
        breaker=breaker,
    )


async def _run_until(runner: ConsumerRunner, done: Any, seconds: float = 30) -> None:
    task = asyncio.create_task(runner.run())
    try:
        for _ in range(int(seconds * 10)):
            if task.done() or await done():
                break
            await asyncio.sleep(0.1)
    finally:
        runner.stop()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def dlq(kafka_broker: KafkaBroker) -> Any:
    producer = make_producer(KafkaSettings(bootstrap_servers=kafka_broker.bootstrap), "dlq")
    await producer.start()
    yield producer
    await producer.stop()


class TestConsumerRunner:
    async def test_duplicates_apply_once_and_poison_goes_to_the_dlq(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kafka_broker: KafkaBroker,
        dlq: AIOKafkaProducer,
    ) -> None:
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        repeated = uuid.uuid4()
        poison = json.dumps({"workspace_id": workspace, "oops": True}).encode()
        await _send(
            kafka_broker.bootstrap,
            [
                _event(workspace),
                _event(workspace, repeated),
                poison,
                _event(workspace, repeated),
                _event(workspace),
            ],
        )
        group = f"test.{workspace}"
        runner = _runner(sessions, kafka_broker.bootstrap, dlq, group)

        async def three_seen() -> bool:
            return await _count_seen(sessions, workspace) >= 3

        await _run_until(runner, three_seen)
        assert await _count_seen(sessions, workspace) == 3

        dead = AIOKafkaConsumer(
            TOPIC + ".dlq", bootstrap_servers=kafka_broker.bootstrap, auto_offset_reset="earliest"
        )
        await dead.start()
        try:
            batches = await dead.getmany(timeout_ms=5000)
        finally:
            await dead.stop()
        ours = [r for records in batches.values() for r in records if r.value == poison]
        assert len(ours) == 1
        headers = dict(ours[0].headers)
        assert headers["herald-origin-topic"] == TOPIC.encode()
        assert headers["herald-consumer-group"] == group.encode()
        assert headers["herald-error-class"] == b"Malformed"

        # Offsets were committed: the same group starting again applies nothing new.
        again = _runner(sessions, kafka_broker.bootstrap, dlq, group)

        async def never() -> bool:
            return False

        await _run_until(again, never, seconds=3)
        assert await _count_seen(sessions, workspace) == 3

    async def test_a_transient_failure_is_retried_in_place(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kafka_broker: KafkaBroker,
        dlq: AIOKafkaProducer,
    ) -> None:
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        await _send(kafka_broker.bootstrap, [_event(workspace)])
        failures = {"left": 2}

        async def flaky(event: Envelope[Any], ctx: HandlerContext) -> None:
            if event.workspace_id == workspace and failures["left"] > 0:
                failures["left"] -= 1
                raise TransientError("database briefly away")
            await _record_seen(event, ctx)

        runner = _runner(sessions, kafka_broker.bootstrap, dlq, f"test.{workspace}", flaky)

        async def seen() -> bool:
            return await _count_seen(sessions, workspace) == 1

        await _run_until(runner, seen)
        assert failures["left"] == 0
        assert await _count_seen(sessions, workspace) == 1

    async def test_the_breaker_stops_a_consumer_that_only_dead_letters(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kafka_broker: KafkaBroker,
        dlq: AIOKafkaProducer,
    ) -> None:
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        await _send(kafka_broker.bootstrap, [b"not json"] * 5)
        breaker = DlqBreaker(window=5, min_failures=3, ratio=0.5)
        runner = _runner(
            sessions, kafka_broker.bootstrap, dlq, f"test.{workspace}", breaker=breaker
        )
        with pytest.raises(ConsumerStopped):
            await asyncio.wait_for(runner.run(), 60)

    async def test_a_repeat_inside_one_run_applies_once_on_the_fast_path(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kafka_broker: KafkaBroker,
        dlq: AIOKafkaProducer,
    ) -> None:
        """No poison: the run takes the one-transaction path with its one inbox statement."""
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        repeated = uuid.uuid4()
        events = [_event(workspace, repeated), _event(workspace, repeated), _event(workspace)]
        await _send(kafka_broker.bootstrap, [*events, events[0]])
        runner = _runner(sessions, kafka_broker.bootstrap, dlq, f"test.{workspace}")

        async def two_seen() -> bool:
            return await _count_seen(sessions, workspace) >= 2

        await _run_until(runner, two_seen)
        await asyncio.sleep(1)  # the repeats had their chance
        assert await _count_seen(sessions, workspace) == 2


class TestSplitGroups:
    async def test_two_groups_split_a_topic_without_inbox_rows_for_what_they_pass_over(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kafka_broker: KafkaBroker,
        dlq: AIOKafkaProducer,
    ) -> None:
        workspace = f"ws-{uuid.uuid4().hex[:8]}"
        await _send(kafka_broker.bootstrap, [_event(workspace) for _ in range(6)])
        mine: dict[str, list[uuid.UUID]] = {"even": [], "odd": []}

        def lane(name: str, parity: int) -> ConsumerRunner:
            async def handler(event: Envelope[Any], ctx: HandlerContext) -> None:
                mine[name].append(event.event_id)

            def accepts(event: Envelope[Any]) -> bool:
                return event.workspace_id == workspace and event.event_id.int % 2 == parity

            return ConsumerRunner(
                group=f"test.{name}.{workspace}",
                subscriptions=[Subscription(TOPIC, handler, accepts=accepts)],
                sessions=sessions,
                outbox=Outbox("kit-test"),
                kafka=KafkaSettings(bootstrap_servers=kafka_broker.bootstrap),
                dlq_producer=dlq,
            )

        for name, parity in (("even", 0), ("odd", 1)):

            async def done() -> bool:
                return len(mine["even"]) + len(mine["odd"]) == 6

            await _run_until(lane(name, parity), done, seconds=10)
        assert len(mine["even"]) + len(mine["odd"]) == 6
        assert all(e.int % 2 == 0 for e in mine["even"])
        assert all(e.int % 2 == 1 for e in mine["odd"])
        async with sessions() as session:
            rows = await session.scalar(
                sa.select(sa.func.count())
                .select_from(INBOX)
                .where(INBOX.c.consumer_group.like(f"test.%.{workspace}"))
            )
        assert rows == 6  # one inbox row per event, in the group that handled it
