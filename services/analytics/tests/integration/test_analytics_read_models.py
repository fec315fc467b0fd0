"""Handlers on the real migrated database: read models right whatever the arrival order."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from analytics_support import (
    apply,
    apply_in_runs,
    at,
    delivered,
    failed,
    handle_directly,
    inbound,
    new_workspace,
    optout,
    requested,
    scheduled,
    submitted,
    suppressed,
    updated,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_analytics import service
from herald_analytics.models import CampaignSummary, DailyEngagement, MessageFact
from herald_analytics.schemas import CampaignStats
from herald_events import Envelope
from herald_events.models.campaigns import CampaignState
from herald_events.models.dispatcher import SuppressionReason
from herald_events.models.receipts import DeliveryStatus
from herald_kit.db import transaction

Sessions = async_sessionmaker[AsyncSession]


async def _stats(sessions: Sessions, workspace: str, campaign_id: uuid.UUID) -> CampaignStats:
    async with transaction(sessions) as session:
        return await service.campaign_stats(session, workspace, campaign_id)


def _campaign_events(workspace: str, campaign_id: uuid.UUID) -> list[Envelope[Any]]:
    """Six messages: 3 delivered (one over 2 segments, one after an interim receipt),
    1 undelivered, 1 still pending, 1 suppressed; plus one failed at the gateway."""
    m = [uuid.uuid4() for _ in range(7)]
    c = campaign_id
    return [
        scheduled(workspace, c, audience_size=7),
        updated(workspace, c, CampaignState.RUNNING, at(60), audience_size=7),
        *[requested(workspace, message, c) for message in m],
        submitted(workspace, m[0], c),
        submitted(workspace, m[1], c, segments=2),
        submitted(workspace, m[2], c),
        submitted(workspace, m[3], c),
        submitted(workspace, m[4], c),
        delivered(workspace, m[0], c),
        delivered(workspace, m[1], c),
        delivered(workspace, m[2], c, final=False, when=at(3)),
        delivered(workspace, m[2], c, when=at(6)),
        delivered(workspace, m[3], c, DeliveryStatus.UNDELIVERED),
        delivered(workspace, m[4], c, final=False),
        suppressed(workspace, m[5], c, SuppressionReason.OPTED_OUT),
        failed(workspace, m[6], c),
        updated(workspace, c, CampaignState.COMPLETED, at(600)),
    ]


def _figures(stats: CampaignStats) -> dict[str, Any]:
    return stats.model_dump(exclude={"updated_at"})


class TestCampaignFigures:
    async def test_a_campaign_is_counted_message_by_message(self, sessions: Sessions) -> None:
        workspace, campaign_id = new_workspace(), uuid.uuid4()
        assert all(await apply(sessions, *_campaign_events(workspace, campaign_id)))
        stats = await _stats(sessions, workspace, campaign_id)
        assert stats.name == "Soldes d'hiver"
        assert stats.state == "completed"
        assert stats.audience_size == 7
        assert (stats.requested, stats.submitted, stats.suppressed, stats.failed) == (7, 5, 1, 1)
        assert (stats.delivered, stats.undelivered, stats.pending) == (3, 1, 1)
        assert (stats.expired, stats.rejected, stats.unknown) == (0, 0, 0)
        assert stats.suppressed_by_reason["opted_out"] == 1
        assert sum(stats.suppressed_by_reason.values()) == 1
        assert stats.segments == 6
        assert stats.delivery_rate == 0.6
        assert stats.updated_at is not None

    @pytest.mark.parametrize("seed", [1, 2, 3])
    async def test_any_arrival_order_gives_the_same_figures(
        self, sessions: Sessions, seed: int
    ) -> None:
        in_order_ws, shuffled_ws = new_workspace(), new_workspace()
        in_order_id, shuffled_id = uuid.uuid4(), uuid.uuid4()
        await apply(sessions, *_campaign_events(in_order_ws, in_order_id))
        events = _campaign_events(shuffled_ws, shuffled_id)
        random.Random(seed).shuffle(events)
        await apply(sessions, *events)
        expected = _figures(await _stats(sessions, in_order_ws, in_order_id))
        got = _figures(await _stats(sessions, shuffled_ws, shuffled_id))
        assert {**got, "campaign_id": in_order_id} == expected

    async def test_runs_applied_at_once_give_the_same_figures(self, sessions: Sessions) -> None:
        """Requests and submissions in runs (`handle_many`), a request repeated later."""
        one_ws, runs_ws = new_workspace(), new_workspace()
        one_id, runs_id = uuid.uuid4(), uuid.uuid4()
        await apply(sessions, *_campaign_events(one_ws, one_id))
        events = _campaign_events(runs_ws, runs_id)
        first_request = next(e for e in events if e.type == "sms.requested")
        repeat = requested(runs_ws, first_request.payload.message_id, runs_id, when=at(30))
        await apply_in_runs(sessions, *events[:9], repeat, *events[9:])
        expected = _figures(await _stats(sessions, one_ws, one_id))
        got = _figures(await _stats(sessions, runs_ws, runs_id))
        assert {**got, "campaign_id": one_id} == expected
        async with sessions() as session:
            fact = await session.get(MessageFact, first_request.payload.message_id)
        assert fact is not None
        assert fact.requested_at == first_request.occurred_at  # the earliest request counts

    async def test_receipt_before_submission_before_request(self, sessions: Sessions) -> None:
        workspace, campaign_id, message = new_workspace(), uuid.uuid4(), uuid.uuid4()
        await apply(
            sessions,
            delivered(workspace, message, campaign_id),
            submitted(workspace, message, campaign_id, segments=3),
            requested(workspace, message, campaign_id),
        )
        stats = await _stats(sessions, workspace, campaign_id)
        assert (stats.requested, stats.submitted, stats.delivered, stats.pending) == (1, 1, 1, 0)
        assert stats.segments == 3
        assert stats.delivery_rate == 1.0

    async def test_a_final_status_never_regresses(self, sessions: Sessions) -> None:
        workspace, campaign_id, message = new_workspace(), uuid.uuid4(), uuid.uuid4()
        await apply(
            sessions,
            submitted(workspace, message, campaign_id),
            delivered(workspace, message, campaign_id, when=at(5)),
            delivered(
                workspace, message, campaign_id, DeliveryStatus.UNKNOWN, final=False, when=at(9)
            ),
            delivered(workspace, message, campaign_id, DeliveryStatus.UNKNOWN, when=at(99)),
        )
        async with sessions() as session:
            fact = await session.get(MessageFact, message)
        assert fact is not None
        assert (fact.delivery_status, fact.delivery_final) == ("delivered", True)
        assert fact.delivery_reported_at == at(5)

    async def test_a_campaign_known_only_from_its_messages_is_reported(
        self, sessions: Sessions
    ) -> None:
        workspace, campaign_id = new_workspace(), uuid.uuid4()
        await apply(sessions, submitted(workspace, uuid.uuid4(), campaign_id))
        stats = await _stats(sessions, workspace, campaign_id)
        assert (stats.name, stats.state, stats.audience_size) == (None, None, None)
        assert (stats.submitted, stats.pending, stats.delivery_rate) == (1, 1, 0.0)

        await apply(sessions, scheduled(workspace, campaign_id, audience_size=1))
        stats = await _stats(sessions, workspace, campaign_id)
        assert (stats.name, stats.state, stats.audience_size) == ("Soldes d'hiver", "scheduled", 1)

    async def test_campaign_states_arriving_out_of_order(self, sessions: Sessions) -> None:
        workspace, campaign_id = new_workspace(), uuid.uuid4()
        await apply(
            sessions,
            updated(workspace, campaign_id, CampaignState.COMPLETED, at(600)),
            updated(workspace, campaign_id, CampaignState.RUNNING, at(60), audience_size=500),
            scheduled(workspace, campaign_id, audience_size=480),
            updated(workspace, campaign_id, CampaignState.PAUSED, at(300)),
        )
        async with sessions() as session:
            summary = await session.get(CampaignSummary, campaign_id)
        assert summary is not None
        assert (summary.name, summary.category) == ("Soldes d'hiver", "marketing")
        assert (summary.state, summary.state_changed_at) == ("completed", at(600))
        assert summary.audience_size == 500  # the final size, not the plan's estimate

    async def test_a_message_requested_again_with_a_new_event_counts_once(
        self, sessions: Sessions
    ) -> None:
        workspace, campaign_id, message = new_workspace(), uuid.uuid4(), uuid.uuid4()
        first = requested(workspace, message, campaign_id, at(0))
        again = requested(workspace, message, campaign_id, at(30))  # re-expansion: new event_id
        assert await apply(sessions, first, again) == [True, True]
        stats = await _stats(sessions, workspace, campaign_id)
        assert stats.requested == 1
        async with sessions() as session:
            fact = await session.get(MessageFact, message)
        assert fact is not None
        assert fact.requested_at == at(0)

    async def test_each_message_handler_is_idempotent_on_its_own(self, sessions: Sessions) -> None:
        workspace, campaign_id, message = new_workspace(), uuid.uuid4(), uuid.uuid4()
        events = [
            requested(workspace, message, campaign_id),
            submitted(workspace, message, campaign_id, segments=2),
            suppressed(workspace, message, campaign_id),
            failed(workspace, message, campaign_id),
            delivered(workspace, message, campaign_id),
            scheduled(workspace, campaign_id),
            updated(workspace, campaign_id, CampaignState.RUNNING, at(60)),
        ]
        snapshots = []
        for _ in range(2):  # the second pass bypasses the inbox on purpose
            async with transaction(sessions) as session:
                for event in events:
                    await handle_directly(session, event)
            async with sessions() as session:
                fact = (
                    await session.execute(sa.select(MessageFact).filter_by(message_id=message))
                ).scalar_one()
                summary = await session.get(CampaignSummary, campaign_id)
                assert summary is not None
                snapshots.append(
                    (
                        {
                            k: v
                            for k, v in vars(fact).items()
                            if k not in ("_sa_instance_state", "updated_at")
                        },
                        (
                            summary.name,
                            summary.state,
                            summary.state_changed_at,
                            summary.audience_size,
                        ),
                    )
                )
        assert snapshots[0] == snapshots[1]

    async def test_another_workspace_cannot_touch_a_message_or_a_campaign(
        self, sessions: Sessions
    ) -> None:
        owner, intruder = new_workspace(), new_workspace()
        campaign_id, message = uuid.uuid4(), uuid.uuid4()
        await apply(
            sessions,
            scheduled(owner, campaign_id),
            requested(owner, message, campaign_id),
        )
        await apply(
            sessions,
            delivered(intruder, message, campaign_id),
            scheduled(intruder, campaign_id, name="hijacked"),
            updated(intruder, campaign_id, CampaignState.CANCELLED, at(60)),
        )
        stats = await _stats(sessions, owner, campaign_id)
        assert (stats.name, stats.state, stats.delivered) == ("Soldes d'hiver", "scheduled", 0)
        async with sessions() as session:
            fact = await session.get(MessageFact, message)
        assert fact is not None
        assert fact.workspace_id == owner
        assert fact.delivery_status is None


class TestEngagement:
    async def test_inbound_and_optouts_are_counted_per_utc_day(self, sessions: Sessions) -> None:
        workspace = new_workspace()
        await apply(
            sessions,
            inbound(workspace, at(0)),
            inbound(workspace, at(60)),
            optout(workspace, at(60)),
            inbound(workspace, at(86_400)),
        )
        async with sessions() as session:
            rows = (
                await session.execute(
                    sa.select(DailyEngagement.day, DailyEngagement.kind, DailyEngagement.count)
                    .where(DailyEngagement.workspace_id == workspace)
                    .order_by(DailyEngagement.day, DailyEngagement.kind)
                )
            ).all()
        day = at(0).date()
        next_day = at(86_400).date()
        assert [tuple(r) for r in rows] == [
            (day, "inbound", 2),
            (day, "optout", 1),
            (next_day, "inbound", 1),
        ]

    async def test_the_same_event_twice_counts_once(self, sessions: Sessions) -> None:
        workspace = new_workspace()
        event = inbound(workspace, at(0))
        assert await apply(sessions, event, event) == [True, False]
        async with sessions() as session:
            count = await session.scalar(
                sa.select(DailyEngagement.count).where(DailyEngagement.workspace_id == workspace)
            )
        assert count == 1
