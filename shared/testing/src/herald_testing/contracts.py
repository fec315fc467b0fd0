"""Contract-test helpers: run an event example through a service's real subscription."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import TOPICS
from herald_kit.auth import APIKEY_TOPIC
from herald_kit.consumer import Subscription, apply_once, decode
from herald_kit.db import transaction
from herald_kit.outbox import Outbox


def catalogue_topics_for(service: str) -> set[str]:
    """Topics the catalogue says `service` consumes through its own handlers (the kit itself
    tails `apikey.changed` in every service)."""
    return {spec.name for spec in TOPICS if service in spec.consumers} - {APIKEY_TOPIC}


def subscribed_topics(groups: Mapping[str, Sequence[Subscription]]) -> list[str]:
    return sorted({sub.topic for subs in groups.values() for sub in subs})


def _record(topic: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=(),
    )


async def apply_example(
    sessions: async_sessionmaker[AsyncSession],
    groups: Mapping[str, Sequence[Subscription]],
    topic: str,
    value: bytes,
) -> bool:
    """Decode `value` as the runner does and apply it in every group subscribed to `topic`,
    twice: True when the first pass applied it everywhere and the second changed nothing."""
    envelope = decode(_record(topic, value))
    outbox = Outbox(producer="contract-test")
    first: list[bool] = []
    second: list[bool] = []
    for group, subscriptions in groups.items():
        for subscription in subscriptions:
            if subscription.topic != topic:
                continue
            for results in (first, second):
                async with transaction(sessions) as session:
                    results.append(await apply_once(session, outbox, group, subscription, envelope))
    return bool(first) and all(first) and not any(second)
