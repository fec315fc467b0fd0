"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_events import Envelope, topic
from herald_events.models.common import Payload
from herald_kit.kafka import encode_envelope
from herald_kit.tables import OUTBOX
from herald_kit.telemetry import inject_headers


class Outbox:
    """Stages events for the relay. Never produces to Kafka itself: the row commits or rolls
    back with the state change that caused it."""

    def __init__(self, producer: str) -> None:
        self.producer = producer

    def envelope(
        self,
        topic_name: str,
        payload: Payload,
        *,
        workspace_id: str,
        event_id: uuid.UUID | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
    ) -> Envelope[Any]:
        spec = topic(topic_name)
        expected = spec.versions[spec.latest_version]
        if not isinstance(payload, expected):
            raise TypeError(f"{topic_name} expects {expected.__name__}, got {type(payload)}")
        return Envelope[Any](
            event_id=event_id or uuid.uuid4(),
            type=spec.event_type,
            version=spec.latest_version,
            workspace_id=workspace_id,
            producer=self.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload,
        )

    async def add(
        self, session: AsyncSession, topic_name: str, key: str, envelope: Envelope[Any]
    ) -> None:
        await self.add_many(session, [(topic_name, key, envelope)])

    async def add_many(
        self, session: AsyncSession, rows: list[tuple[str, str, Envelope[Any]]]
    ) -> None:
        """Stage several events at once. A repeated event_id is ignored, so a
        re-run of the same deterministic work cannot publish twice."""
        if not rows:
            return
        headers = inject_headers()
        values = [
            {
                "event_id": envelope.event_id,
                "topic": topic_name,
                "key": key,
                "value": encode_envelope(envelope),
                "headers": headers,
            }
            for topic_name, key, envelope in rows
        ]
        # executemany form: one cached statement whatever the batch size.
        statement = insert(OUTBOX).on_conflict_do_nothing(index_elements=["event_id"])
        await session.execute(statement, values)

    async def tombstone(self, session: AsyncSession, topic_name: str, key: str) -> None:
        """A null value for a compacted topic: Kafka forgets the key."""
        topic(topic_name)
        await session.execute(
            insert(OUTBOX).values(
                event_id=uuid.uuid4(),
                topic=topic_name,
                key=key,
                value=None,
                headers=inject_headers(),
            )
        )
