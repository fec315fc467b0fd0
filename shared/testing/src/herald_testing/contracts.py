"""Contract-test helpers: run an event example through a service's real subscription."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import TOPICS
from herald_events.contracts import examples
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


EXAMPLE_ARGUMENTS = ("topic_name", "example_name", "document")


class EventContractTests:
    """The contract tests every consuming service runs. Its tests/contract/ subclasses this
    as `TestEventContracts`, setting `service` and `groups` (its subscriptions' `groups`):

        class TestEventContracts(EventContractTests):
            service = "receipts"
            groups = staticmethod(subscriptions.groups)

    Every example of every topic it subscribes to is one `test_every_example_is_applied`.
    """

    service: str

    @staticmethod
    def groups() -> Mapping[str, Sequence[Subscription]]:
        raise NotImplementedError("set groups = staticmethod(<service>.subscriptions.groups)")

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if set(EXAMPLE_ARGUMENTS) <= set(metafunc.fixturenames):
            metafunc.parametrize(
                EXAMPLE_ARGUMENTS,
                [
                    (topic, name, document)
                    for topic in subscribed_topics(self.groups())
                    for name, document in examples(topic)
                ],
            )

    def test_subscriptions_match_the_catalogue(self) -> None:
        catalogue, subscribed = catalogue_topics_for(self.service), subscribed_topics(self.groups())
        assert catalogue == set(subscribed), f"catalogue: {catalogue}, subscribed: {subscribed}"

    def test_consumer_groups_are_named_after_the_service(self) -> None:
        names = list(self.groups())
        assert all(name.startswith(f"{self.service}.") for name in names), names

    async def test_every_example_is_applied(
        self,
        topic_name: str,
        example_name: str,
        document: dict[str, object],
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        value = json.dumps(document).encode()
        applied = await apply_example(sessions, self.groups(), topic_name, value)
        assert applied, f"{example_name} was not applied exactly once"
