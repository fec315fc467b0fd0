"""Every example of every topic analytics consumes goes through its handler, idempotently."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_analytics import service
from herald_analytics.events.subscriptions import groups
from herald_analytics.models import CampaignSummary, DailyEngagement, MessageFact
from herald_events.contracts import examples
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.settings import DbSettings
from herald_stack.postgres import PostgresCluster
from herald_testing.api import migrated_database
from herald_testing.contracts import apply_example, catalogue_topics_for, subscribed_topics

SUBSCRIBED = subscribed_topics(groups())
SERVICE_DIR = Path(__file__).resolve().parents[2]
EXAMPLE_WORKSPACE = "ws_demo"
EXAMPLE_CAMPAIGN = uuid.UUID("7c6b5a49-3827-4165-9f4e-3d2c1b0a9f8e")


def _value(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def test_subscriptions_match_the_catalogue() -> None:
    assert catalogue_topics_for("analytics") == set(SUBSCRIBED)


def test_each_topic_is_read_by_one_group_only() -> None:
    topics = [sub.topic for subs in groups().values() for sub in subs]
    assert len(topics) == len(set(topics))
    assert all(group.startswith("analytics.") for group in groups())


@pytest.mark.parametrize(
    ("topic_name", "example_name", "document"),
    [(t, name, doc) for t in SUBSCRIBED for name, doc in examples(t)],
)
async def test_every_example_is_applied(
    topic_name: str,
    example_name: str,
    document: dict[str, Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    applied = await apply_example(sessions, groups(), topic_name, _value(document))
    assert applied, f"{example_name} was not applied"


@pytest.fixture
async def fresh_sessions(
    pg_server: PostgresCluster,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(DbSettings(url=migrated_database(pg_server, SERVICE_DIR)))
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _snapshot(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with sessions() as session:
        rows: list[Any] = []
        for model in (CampaignSummary, MessageFact, DailyEngagement):
            table = model.__table__
            result = await session.execute(
                sa.select(table).order_by(*table.primary_key.columns)  # type: ignore[attr-defined]
            )
            rows += [tuple(row) for row in result.all()]
        return rows


async def test_all_examples_together_build_the_read_models_once(
    fresh_sessions: async_sessionmaker[AsyncSession],
) -> None:
    """All examples in one fresh database; a second delivery of each changes nothing."""
    documents = [(t, doc) for t in SUBSCRIBED for _name, doc in examples(t)]
    for topic_name, document in documents:
        assert await apply_example(fresh_sessions, groups(), topic_name, _value(document))
    before = await _snapshot(fresh_sessions)
    for topic_name, document in documents:
        assert not await apply_example(fresh_sessions, groups(), topic_name, _value(document))
    assert await _snapshot(fresh_sessions) == before

    async with transaction(fresh_sessions) as session:
        stats = await service.campaign_stats(session, EXAMPLE_WORKSPACE, EXAMPLE_CAMPAIGN)
    assert stats.name == "Soldes d'hiver"
    assert stats.state == "completed"
    assert (stats.requested, stats.submitted, stats.delivered) == (1, 1, 1)
    assert stats.suppressed_by_reason["no_consent"] == 1
    async with fresh_sessions() as session:
        engagement = (
            await session.execute(
                sa.select(DailyEngagement.kind, DailyEngagement.count).where(
                    DailyEngagement.workspace_id == EXAMPLE_WORKSPACE
                )
            )
        ).all()
    assert sorted(tuple(row) for row in engagement) == [("inbound", 1), ("optout", 1)]
