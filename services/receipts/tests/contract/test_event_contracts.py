"""Every example of every topic receipts consumes goes through its handler."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events.contracts import examples
from herald_receipts.events.subscriptions import groups
from herald_testing.contracts import apply_example, catalogue_topics_for, subscribed_topics

SUBSCRIBED = subscribed_topics(groups())


def test_subscriptions_match_the_catalogue() -> None:
    assert catalogue_topics_for("receipts") == set(SUBSCRIBED)


def test_consumer_groups_are_named_after_the_service() -> None:
    assert all(group.startswith("receipts.") for group in groups())


@pytest.mark.parametrize(
    ("topic_name", "example_name", "document"),
    [(t, name, doc) for t in SUBSCRIBED for name, doc in examples(t)],
)
async def test_every_example_is_applied(
    topic_name: str,
    example_name: str,
    document: dict[str, object],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    applied = await apply_example(sessions, groups(), topic_name, json.dumps(document).encode())
    assert applied, f"{example_name} was not applied"
