"""The consumer runner: Kafka records in, idempotent DB effects out, offsets committed after.

Per partition, records are handled in order. A poll's records of one partition are applied
in one transaction together with their inbox rows (consumer group, event_id), the inbox rows
written by one statement first; should that transaction fail, they are retried one at a time
so one bad event cannot hide the others.
Offsets are committed manually, only after the transaction committed, and never past an
event that was neither applied nor dead-lettered. Errors are classified once:
- malformed records and `PermanentError` go to `<topic>.dlq` with their origin in headers;
- `TransientError`, lost DB connections and timeouts are retried in place with backoff;
- anything else is retried a few times, then dead-lettered;
and a breaker stops the consumer when dead-lettering becomes the norm (a bad deploy should
build a backlog, not empty the topic into the DLQ).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import context as otel_context
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope, RawEnvelope, model_for, topic
from herald_kit.db import transaction
from herald_kit.errors import ConsumerStopped, PermanentError, TransientError
from herald_kit.logs import get_logger
from herald_kit.metrics import EVENTS_CONSUMED, HANDLER_SECONDS
from herald_kit.outbox import Outbox
from herald_kit.settings import KafkaSettings
from herald_kit.tables import INBOX
from herald_kit.telemetry import extract_context, tracer

log = get_logger(__name__)


@dataclass
class HandlerContext:
    """What a handler may touch: the transaction's session and the outbox."""

    session: AsyncSession
    outbox: Outbox
    group: str
    envelope: Envelope[Any] | None = None

    def caused_by(self) -> dict[str, uuid.UUID | None]:
        """Correlation fields for events this handler emits."""
        if self.envelope is None:
            return {}
        return caused_by(self.envelope)


def caused_by(envelope: Envelope[Any]) -> dict[str, uuid.UUID | None]:
    """Correlation fields for events emitted because of `envelope`."""
    return {
        "correlation_id": envelope.correlation_id or envelope.event_id,
        "causation_id": envelope.event_id,
    }


Handler = Callable[[Envelope[Any], HandlerContext], Awaitable[None]]
ManyHandler = Callable[[Sequence[Envelope[Any]], HandlerContext], Awaitable[None]]
TombstoneHandler = Callable[[str, HandlerContext], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A topic, its handler, and optionally `accepts`: the events this group handles. Two
    groups may share a topic and split its events (a lane for handsets' STOPs that a burst
    of delivery receipts never delays); an event another group handles is passed over
    without a transaction or an inbox row (`outcome="skipped"`)."""

    topic: str
    handler: Handler
    on_tombstone: TombstoneHandler | None = None
    accepts: Callable[[Envelope[Any]], bool] | None = None
    # The same effects as `handler` on each event in order, for a run of new events at once
    # (a few statements for the run instead of a few per event). Used on the fast path; the
    # one-at-a-time path (after a failed run) calls `handler`.
    handle_many: ManyHandler | None = None

    def handles(self, envelope: Envelope[Any]) -> bool:
        return self.accepts is None or self.accepts(envelope)


@dataclass
class RetryPolicy:
    unknown_error_attempts: int = 3
    backoff_start: float = 0.2
    backoff_max: float = 10.0


@dataclass
class DlqBreaker:
    """Trips when at least `min_failures` of the last `window` events were dead-lettered
    and they are at least `ratio` of that window."""

    window: int = 200
    min_failures: int = 20
    ratio: float = 0.5
    _outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=200))

    def record(self, dead_lettered: bool) -> None:
        self._outcomes.append(dead_lettered)
        failures = sum(self._outcomes)
        if failures >= self.min_failures and failures >= self.ratio * len(self._outcomes):
            raise ConsumerStopped(
                f"{failures} of the last {len(self._outcomes)} events were dead-lettered"
            )


class Malformed(PermanentError):
    pass


def decode(record: ConsumerRecord[bytes, bytes]) -> Envelope[Any]:
    """Parse and validate a record's envelope and payload; Malformed when impossible."""
    try:
        raw = RawEnvelope.model_validate_json(record.value)
        if raw.type != record.topic:
            raise Malformed(f"event type {raw.type!r} does not belong on {record.topic}")
        model = model_for(raw.type, raw.version)
        payload = model.model_validate(raw.payload)
    except ValidationError as error:
        raise Malformed(f"invalid event: {error.errors()[:3]}") from error
    except (KeyError, ValueError) as error:
        raise Malformed(f"unknown or unreadable event: {error!r}") from error
    return Envelope[Any](**{**raw.model_dump(exclude={"payload"}), "payload": payload})


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, TransientError | OperationalError | InterfaceError | TimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


async def apply_once(
    session: AsyncSession,
    outbox: Outbox,
    group: str,
    subscription: Subscription,
    envelope: Envelope[Any],
    *,
    claimed: bool | None = None,
) -> bool:
    """Record the event in the group's inbox and run the handler, in the caller's
    transaction; False (and nothing done) when the group already applied this event.
    `claimed`: the caller already wrote the inbox row (True) or found it there (False)."""
    if claimed is None:
        inserted = await session.execute(
            insert(INBOX)
            .values(consumer_group=group, event_id=envelope.event_id, topic=subscription.topic)
            .on_conflict_do_nothing()
            .returning(INBOX.c.event_id)
        )
        claimed = inserted.first() is not None
    if not claimed:
        return False
    context = HandlerContext(session=session, outbox=outbox, group=group, envelope=envelope)
    await subscription.handler(envelope, context)
    return True


# One statement for a whole run's inbox rows, whatever its length (one cached plan).
_CLAIM_INBOX = sa.text(
    "INSERT INTO inbox (consumer_group, event_id, topic) "
    "SELECT :group, e.event_id, e.topic "
    "FROM unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[])) AS e(event_id, topic) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


async def claim_inbox(
    session: AsyncSession, group: str, events: Sequence[tuple[str, uuid.UUID]]
) -> set[uuid.UUID]:
    """Write the inbox rows of `(topic, event_id)` at once; the ids not applied before."""
    if not events:
        return set()
    result = await session.execute(
        _CLAIM_INBOX,
        {
            "group": group,
            "event_ids": [event_id for _, event_id in events],
            "topics": [topic_name for topic_name, _ in events],
        },
    )
    return set(result.scalars())


def _chunks(
    items: list[tuple[ConsumerRecord[bytes, bytes], Envelope[Any] | None]],
    subscriptions: dict[str, Subscription],
) -> list[list[tuple[ConsumerRecord[bytes, bytes], Envelope[Any] | None]]]:
    """Split a run, in order, into single records and runs of consecutive events of one
    topic whose subscription has `handle_many`."""
    chunks: list[list[tuple[ConsumerRecord[bytes, bytes], Envelope[Any] | None]]] = []
    for record, envelope in items:
        many = envelope is not None and subscriptions[record.topic].handle_many is not None
        previous = chunks[-1] if chunks else None
        if (
            many
            and previous
            and previous[0][0].topic == record.topic
            and previous[0][1] is not None
        ):
            previous.append((record, envelope))
        else:
            chunks.append([(record, envelope)])
    return chunks


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self.runner.commit_processed()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class ConsumerRunner:
    def __init__(
        self,
        *,
        group: str,
        subscriptions: Sequence[Subscription],
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        kafka: KafkaSettings,
        dlq_producer: AIOKafkaProducer,
        max_records: int = 500,
        retry: RetryPolicy | None = None,
        breaker: DlqBreaker | None = None,
    ) -> None:
        self.group = group
        self.subscriptions = {sub.topic: sub for sub in subscriptions}
        for name in self.subscriptions:
            topic(name)  # fail fast on a topic that the catalogue does not declare
        self.sessions = sessions
        self.outbox = outbox
        self.kafka = kafka
        self.dlq_producer = dlq_producer
        self.max_records = max_records
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or DlqBreaker()
        self.consumer: AIOKafkaConsumer | None = None
        self._processed: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self.last_poll = 0.0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap_servers,
            group_id=self.group,
            client_id=f"{self.kafka.client_id_prefix}-{self.group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300_000,
        )
        self.consumer.subscribe(list(self.subscriptions), listener=_CommitOnRevoke(self))
        await self.consumer.start()
        log.info("consumer.started", group=self.group, topics=sorted(self.subscriptions))
        try:
            while not self._stopping.is_set():
                batches = await self.consumer.getmany(timeout_ms=200, max_records=self.max_records)
                self.last_poll = time.monotonic()
                for partition, records in batches.items():
                    if self._stopping.is_set():
                        break
                    await self._handle_partition(partition, records)
                await self.commit_processed()
        finally:
            await self.commit_processed()
            await self.consumer.stop()
            log.info("consumer.stopped", group=self.group)

    async def commit_processed(self) -> None:
        if not self._processed or self.consumer is None:
            return
        offsets, self._processed = self._processed, {}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as error:
            # The partitions moved to another member; it re-reads them and the inbox drops
            # whatever this member already applied.
            log.warning("consumer.commit_failed", group=self.group, error=repr(error))

    async def _handle_partition(
        self, partition: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        if len(records) > 1 and await self._apply_together(records):
            self._processed[partition] = records[-1].offset + 1
            return
        for record in records:
            await self._handle_one(record)
            self._processed[partition] = record.offset + 1

    async def _apply_together(self, records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        """Fast path: the whole run in one transaction. False sends it down the slow path."""
        try:
            decoded = [(r, None if r.value is None else decode(r)) for r in records]
            ours = [(r, e) for r, e in decoded if not self._skipped(r, e)]
            if ours:
                async with transaction(self.sessions) as session:
                    fresh = await claim_inbox(
                        session,
                        self.group,
                        [(r.topic, e.event_id) for r, e in ours if e is not None],
                    )
                    for chunk in _chunks(ours, self.subscriptions):
                        await self._apply_chunk(session, chunk, fresh)
        except Exception as error:
            log.info("consumer.batch_fallback", group=self.group, error=repr(error))
            return False
        for record, _ in ours:
            EVENTS_CONSUMED.labels(self.group, record.topic, "applied").inc()
            self.breaker.record(False)
        return True

    async def _apply_chunk(
        self,
        session: AsyncSession,
        chunk: list[tuple[ConsumerRecord[bytes, bytes], Envelope[Any] | None]],
        fresh: set[uuid.UUID],
    ) -> None:
        """One record, or consecutive events of a topic whose subscription handles many."""
        first_record = chunk[0][0]
        subscription = self.subscriptions[first_record.topic]
        if len(chunk) == 1 or subscription.handle_many is None:
            for record, envelope in chunk:
                claimed = None
                if envelope is not None:  # a repeat in the same run is a duplicate
                    claimed = envelope.event_id in fresh
                    fresh.discard(envelope.event_id)
                await self._apply(session, record, envelope, claimed)
            return
        new: list[Envelope[Any]] = []
        for record, envelope in chunk:
            assert envelope is not None  # _chunks keeps tombstones apart
            if envelope.event_id in fresh:
                fresh.discard(envelope.event_id)
                new.append(envelope)
            else:
                EVENTS_CONSUMED.labels(self.group, record.topic, "duplicate").inc()
        if new:
            context = HandlerContext(session=session, outbox=self.outbox, group=self.group)
            with HANDLER_SECONDS.labels(self.group, first_record.topic).time():
                await subscription.handle_many(new, context)

    def _skipped(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope[Any] | None
    ) -> bool:
        """True (and counted) for an event another group handles."""
        if envelope is None or self.subscriptions[record.topic].handles(envelope):
            return False
        EVENTS_CONSUMED.labels(self.group, record.topic, "skipped").inc()
        return True

    async def _handle_one(self, record: ConsumerRecord[bytes, bytes]) -> None:
        attempt = 0
        backoff = self.retry.backoff_start
        while True:
            attempt += 1
            try:
                envelope = None if record.value is None else decode(record)
                if self._skipped(record, envelope):
                    return
                async with transaction(self.sessions) as session:
                    await self._apply(session, record, envelope)
                EVENTS_CONSUMED.labels(self.group, record.topic, "applied").inc()
                self.breaker.record(False)
                return
            except PermanentError as error:
                await self._dead_letter(record, error)
                return
            except Exception as error:
                transient = _is_transient(error)
                if not transient and attempt >= self.retry.unknown_error_attempts:
                    await self._dead_letter(record, error)
                    return
                log.warning(
                    "consumer.retry",
                    group=self.group,
                    topic=record.topic,
                    offset=record.offset,
                    attempt=attempt,
                    error=repr(error),
                )
                if self._stopping.is_set():
                    raise
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.retry.backoff_max)

    async def _apply(
        self,
        session: AsyncSession,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope[Any] | None,
        claimed: bool | None = None,
    ) -> None:
        subscription = self.subscriptions[record.topic]
        if envelope is None:  # a tombstone on a compacted topic
            if subscription.on_tombstone is not None and record.key is not None:
                context = HandlerContext(session=session, outbox=self.outbox, group=self.group)
                await subscription.on_tombstone(record.key.decode(), context)
            return
        token = otel_context.attach(extract_context(record.headers))
        try:
            with (
                tracer(__name__).start_as_current_span(f"consume {record.topic}"),
                HANDLER_SECONDS.labels(self.group, record.topic).time(),
            ):
                applied = await apply_once(
                    session, self.outbox, self.group, subscription, envelope, claimed=claimed
                )
        finally:
            otel_context.detach(token)
        if not applied:
            EVENTS_CONSUMED.labels(self.group, record.topic, "duplicate").inc()

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException
    ) -> None:
        spec = topic(record.topic)
        headers = [
            *(record.headers or ()),
            ("herald-origin-topic", record.topic.encode()),
            ("herald-origin-partition", str(record.partition).encode()),
            ("herald-origin-offset", str(record.offset).encode()),
            ("herald-consumer-group", self.group.encode()),
            ("herald-error-class", type(error).__name__.encode()),
            ("herald-error", str(error)[:1000].encode()),
        ]
        await (
            await self.dlq_producer.send(
                spec.dlq, value=record.value, key=record.key, headers=headers
            )
        )
        EVENTS_CONSUMED.labels(self.group, record.topic, "dead_lettered").inc()
        log.error(
            "consumer.dead_lettered",
            group=self.group,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error_class=type(error).__name__,
        )
        self.breaker.record(True)
