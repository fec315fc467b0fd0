"""Create the catalogue's topics (and their dead-letter topics) on a broker, idempotently."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from herald_stack.errors import StackError


class TopicSpecLike(Protocol):
    """What we read from `herald_events.catalogue.TopicSpec`."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def dlq(self) -> str: ...
    def kafka_config(self) -> dict[str, str]: ...
    def dlq_kafka_config(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class TopicPlan:
    name: str
    partitions: int
    config: dict[str, str]


def plan_topics(specs: Iterable[TopicSpecLike]) -> list[TopicPlan]:
    """Each topic followed by its dead-letter topic (same partition count, own retention)."""
    plans = []
    for spec in specs:
        plans.append(TopicPlan(spec.name, spec.partitions, spec.kafka_config()))
        plans.append(TopicPlan(spec.dlq, spec.partitions, spec.dlq_kafka_config()))
    return plans


def catalogue_plan() -> list[TopicPlan]:
    """Every topic of Herald's catalogue, imported only when needed."""
    from herald_events.catalogue import TOPICS

    return plan_topics(TOPICS)


async def create_topics(
    bootstrap: str, plans: Sequence[TopicPlan], retry_for: float = 30.0
) -> list[str]:
    """Create the missing topics; returns the names created now (existing ones are kept).

    A broker that just opened its port may still refuse requests for a moment, so
    connection and retriable errors are retried for `retry_for` seconds.
    """
    deadline = time.monotonic() + retry_for
    pending = {plan.name: plan for plan in plans}
    created: list[str] = []
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            for name in existing & pending.keys():
                del pending[name]
            if pending:
                response = await admin.create_topics([_new_topic(p) for p in pending.values()])
                created += _accept(response.topic_errors, pending)
            if not pending:
                return created
        except KafkaError as exc:
            if not exc.retriable or time.monotonic() >= deadline:
                raise StackError(f"could not create topics on {bootstrap}: {exc!r}") from exc
        finally:
            await admin.close()
        if time.monotonic() >= deadline:
            raise StackError(f"topics still not created on {bootstrap}: {sorted(pending)}")
        await asyncio.sleep(0.5)


def _new_topic(plan: TopicPlan) -> NewTopic:
    return NewTopic(plan.name, plan.partitions, replication_factor=1, topic_configs=plan.config)


def _accept(topic_errors: Iterable[tuple[Any, ...]], pending: dict[str, TopicPlan]) -> list[str]:
    """Drop settled topics from `pending`; raise the first non-retriable error.

    Returns the topics created by this request. "Already exists" counts as settled
    (someone created it concurrently); retriable errors stay pending for the next round.
    """
    created = []
    for name, code, *_ in topic_errors:
        if code == 0:
            created.append(name)
        error = for_code(code)
        if code == 0 or error is TopicAlreadyExistsError:
            pending.pop(name, None)
        elif not error.retriable:
            raise error(f"creating topic {name}")
    return created
