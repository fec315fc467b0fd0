"""The outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

A batch is claimed with `FOR UPDATE SKIP LOCKED` inside a transaction that stays open
while the batch is published, so several relay replicas never publish the same row, and
a relay that dies releases its claim by losing its connection. Rows are marked published
only after the broker acknowledged every record of the batch (idempotent producer,
acks=all). A crash between the acknowledgement and the mark re-publishes the batch:
consumers are idempotent through their inbox, keyed by the envelope's event_id.

With `notifications` (herald_kit.outbox_notifications), an idle relay sleeps until a commit
wrote outbox rows (at most `listen_fallback` seconds) instead of polling every `idle_sleep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.db import transaction
from herald_kit.kafka import value_bytes
from herald_kit.logs import get_logger
from herald_kit.metrics import EVENTS_PUBLISHED, OUTBOX_BATCH_SECONDS
from herald_kit.outbox_notifications import OutboxNotifications
from herald_kit.tables import OUTBOX

log = get_logger(__name__)


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 1000,
        idle_sleep: float = 0.05,
        keep_published: timedelta = timedelta(hours=24),
        notifications: OutboxNotifications | None = None,
        listen_fallback: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.producer = producer
        self.batch_size = batch_size
        self.idle_sleep = idle_sleep
        self.keep_published = keep_published
        self.notifications = notifications
        self.listen_fallback = listen_fallback
        self._stopping = asyncio.Event()
        self.last_success = time.monotonic()

    def stop(self) -> None:
        self._stopping.set()
        if self.notifications is not None:
            self.notifications.wake()

    async def run(self) -> None:
        """Publish until stopped; a Kafka or DB error backs off and retries the same rows."""
        backoff = 0.5
        last_cleanup = 0.0
        while not self._stopping.is_set():
            if self.notifications is not None:
                self.notifications.arm()
            try:
                published = await self.publish_batch()
                backoff = 0.5
                self.last_success = time.monotonic()
                if time.monotonic() - last_cleanup > 60:
                    await self.delete_old_rows()
                    last_cleanup = time.monotonic()
            except Exception as error:
                log.warning("relay.batch_failed", error=repr(error), retry_in=backoff)
                published = 0
                await self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published < self.batch_size:
                await self._idle()

    async def _idle(self) -> None:
        """Nothing more to publish: until a commit wrote outbox rows, or a poll's time."""
        if self.notifications is not None and self.notifications.listening:
            await self.notifications.wait(self.listen_fallback)
        else:
            await self._sleep(self.idle_sleep)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def publish_batch(self) -> int:
        async with transaction(self.sessions) as session:
            rows = (
                await session.execute(
                    sa.select(
                        OUTBOX.c.id, OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.value, OUTBOX.c.headers
                    )
                    .where(OUTBOX.c.published_at.is_(None))
                    .order_by(OUTBOX.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            started = time.perf_counter()
            await self._publish(rows)
            await session.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id.in_([row.id for row in rows]))
                .values(published_at=sa.func.now())
            )
            OUTBOX_BATCH_SECONDS.observe(time.perf_counter() - started)
        return len(rows)

    async def _publish(self, rows: Sequence[Any]) -> None:
        futures = []
        for row in rows:
            headers = [(name, str(value).encode()) for name, value in (row.headers or {}).items()]
            futures.append(
                await self.producer.send(
                    row.topic,
                    value=value_bytes(row.value),
                    key=row.key.encode() if row.key is not None else None,
                    headers=headers,
                )
            )
        # Every future resolves only when the broker acknowledged that record.
        await asyncio.gather(*futures)
        for row in rows:
            EVENTS_PUBLISHED.labels(topic=row.topic).inc()

    async def delete_old_rows(self) -> None:
        async with transaction(self.sessions) as session:
            await session.execute(
                sa.delete(OUTBOX).where(OUTBOX.c.published_at < sa.func.now() - self.keep_published)
            )
