"""Use cases of the analytics service. They never commit: the entrypoint owns the transaction.

Freshness, event → KPI. A producing service commits a state change and its event together
(outbox); its relay publishes committed rows within ~50 ms when idle (`OutboxRelay`
idle_sleep); the analytics consumer (`herald-analytics consumer`, groups
`analytics.campaigns` and `analytics.engagement`) polls with a 200 ms timeout and applies each
event in one transaction with its inbox row, so the read model is current when that
transaction commits. The figures themselves are not precomputed: `GET .../stats` runs one
aggregate query over `message_fact` at request time, and `GET /v1/engagement/daily` reads
the day counters as they stand. A KPI therefore lags its event by the relay's and the
consumer's lag only (typically well under a second; during a big campaign, the consumer
group's backlog, visible as Kafka consumer lag), never by a batch job. `updated_at` in the
responses tells when the read model last changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_analytics import repository
from herald_analytics.domain.engagement import (
    DayCounts,
    EngagementKind,
    InvalidRange,
    day_of,
    fill_days,
    resolve_range,
)
from herald_analytics.domain.kpis import delivery_rate, latest
from herald_analytics.domain.precedence import SCHEDULED
from herald_analytics.errors import CampaignNotFound, InvalidDateRange
from herald_analytics.models import CampaignSummary
from herald_analytics.schemas import CampaignStats
from herald_events import Envelope
from herald_events.models.campaigns import (
    CampaignScheduledV1,
    CampaignUpdatedV1,
    SmsRequestedV1,
)
from herald_events.models.dispatcher import SmsFailedV1, SmsSubmittedV1, SmsSuppressedV1
from herald_events.models.receipts import SmsDeliveredV1


def _today() -> date:
    return datetime.now(UTC).date()


# --- read models from the streams ----------------------------------------------------------


async def apply_campaign_scheduled(
    session: AsyncSession, workspace_id: str, payload: CampaignScheduledV1
) -> None:
    await repository.upsert_campaign_plan(
        session,
        workspace_id,
        payload.campaign_id,
        name=payload.name,
        category=payload.category.value,
        audience_size=payload.audience_size,
        launched_at=payload.launched_at,
        state=SCHEDULED,
    )


async def apply_campaign_updated(
    session: AsyncSession, workspace_id: str, payload: CampaignUpdatedV1
) -> None:
    await repository.upsert_campaign_state(
        session,
        workspace_id,
        payload.campaign_id,
        state=payload.state.value,
        changed_at=payload.changed_at,
        audience_size=payload.audience_size,
    )


async def _campaign_seen(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID | None
) -> None:
    if campaign_id is not None:
        await repository.ensure_campaign(session, workspace_id, campaign_id)


async def record_requested(
    session: AsyncSession, workspace_id: str, payload: SmsRequestedV1, requested_at: datetime
) -> None:
    """`sms.requested` has no time of its own: the envelope's `occurred_at` is used."""
    await _campaign_seen(session, workspace_id, payload.campaign_id)
    await repository.record_requested(
        session, workspace_id, payload.message_id, payload.campaign_id, requested_at
    )


async def record_submitted(
    session: AsyncSession, workspace_id: str, payload: SmsSubmittedV1
) -> None:
    await _campaign_seen(session, workspace_id, payload.campaign_id)
    await repository.record_submitted(
        session,
        workspace_id,
        payload.message_id,
        payload.campaign_id,
        payload.submitted_at,
        payload.segments,
    )


async def record_requested_many(session: AsyncSession, events: Sequence[Envelope[Any]]) -> None:
    """`record_requested` for a run of `sms.requested` (a campaign's) at once."""
    await repository.ensure_campaigns(
        session, [(e.workspace_id, e.payload.campaign_id) for e in events if e.payload.campaign_id]
    )
    await repository.record_requested_many(
        session,
        [
            (e.workspace_id, e.payload.message_id, e.payload.campaign_id, e.occurred_at)
            for e in events
        ],
    )


async def record_submitted_many(session: AsyncSession, events: Sequence[Envelope[Any]]) -> None:
    """`record_submitted` for a run of `sms.submitted` at once."""
    await repository.ensure_campaigns(
        session, [(e.workspace_id, e.payload.campaign_id) for e in events if e.payload.campaign_id]
    )
    await repository.record_submitted_many(
        session,
        [
            (
                e.workspace_id,
                e.payload.message_id,
                e.payload.campaign_id,
                e.payload.submitted_at,
                e.payload.segments,
            )
            for e in events
        ],
    )


async def record_suppressed(
    session: AsyncSession, workspace_id: str, payload: SmsSuppressedV1
) -> None:
    await _campaign_seen(session, workspace_id, payload.campaign_id)
    await repository.record_suppressed(
        session, workspace_id, payload.message_id, payload.campaign_id, payload.reason.value
    )


async def record_failed(session: AsyncSession, workspace_id: str, payload: SmsFailedV1) -> None:
    await _campaign_seen(session, workspace_id, payload.campaign_id)
    await repository.record_failed(
        session, workspace_id, payload.message_id, payload.campaign_id, payload.failed_at
    )


async def record_delivery(
    session: AsyncSession, workspace_id: str, payload: SmsDeliveredV1
) -> None:
    await _campaign_seen(session, workspace_id, payload.campaign_id)
    await repository.record_delivery(
        session,
        workspace_id,
        payload.message_id,
        payload.campaign_id,
        status=payload.status.value,
        final=payload.final,
        reported_at=payload.reported_at,
    )


async def count_engagement(
    session: AsyncSession, workspace_id: str, kind: EngagementKind, at: datetime
) -> None:
    await repository.count_engagement(session, workspace_id, day_of(at), kind.value)


# --- reports -------------------------------------------------------------------------------


async def campaign_stats(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID
) -> CampaignStats:
    summary = await repository.get_campaign(session, workspace_id, campaign_id)
    if summary is None:
        raise CampaignNotFound()
    counts = await repository.campaign_counts(session, workspace_id, campaign_id)
    return CampaignStats(
        campaign_id=summary.campaign_id,
        name=summary.name,
        state=summary.state,
        audience_size=summary.audience_size,
        requested=counts.requested,
        submitted=counts.submitted,
        suppressed=counts.suppressed,
        suppressed_by_reason=counts.suppressed_by_reason,
        failed=counts.failed,
        delivered=counts.delivered,
        undelivered=counts.undelivered,
        expired=counts.expired,
        rejected=counts.rejected,
        unknown=counts.unknown,
        pending=counts.pending,
        segments=counts.segments,
        delivery_rate=delivery_rate(counts.delivered, counts.submitted),
        updated_at=latest(summary.updated_at, counts.last_change),
    )


async def list_campaigns(
    session: AsyncSession,
    workspace_id: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[CampaignSummary]:
    return await repository.page_campaigns(session, workspace_id, after, limit)


async def daily_engagement(
    session: AsyncSession, workspace_id: str, start: date | None, end: date | None
) -> tuple[date, date, list[DayCounts]]:
    try:
        start, end = resolve_range(start, end, _today())
    except InvalidRange as error:
        raise InvalidDateRange(str(error)) from error
    rows = await repository.engagement_between(session, workspace_id, start, end)
    return start, end, fill_days(start, end, rows)
