"""Every query of the analytics service.

The writes are single-statement UPSERTs. The runner's inbox applies each event once; the
statements are still written so that a second application of the same fact changes nothing
(message_fact, campaign_summary), and they compare order keys (domain.precedence) so that
facts arriving out of order leave the same final state. An UPSERT never touches a row that
belongs to another workspace.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_analytics.domain.kpis import SUPPRESSION_REASONS, CampaignCounts
from herald_analytics.domain.precedence import STATE_RANK, UNKNOWN_STATE_RANK
from herald_analytics.models import CampaignSummary, DailyEngagement, MessageFact

UNKNOWN_STATUS = "unknown"
_STATS_COUNTS = (
    "requested",
    "submitted",
    "suppressed",
    "failed",
    "delivered",
    "undelivered",
    "expired",
    "rejected",
    "unknown",
    "pending",
)


# --- campaign_summary ----------------------------------------------------------------------


def _state_key(state: Any, changed_at: Any) -> sa.Tuple:
    """The SQL twin of `StateChange.key()`."""
    rank = sa.case(dict(STATE_RANK), value=state, else_=UNKNOWN_STATE_RANK)
    return sa.tuple_(rank, changed_at, state)


async def ensure_campaign(session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID) -> None:
    """A campaign first seen through one of its messages: a row with what is known (nothing)."""
    await session.execute(
        insert(CampaignSummary)
        .values(campaign_id=campaign_id, workspace_id=workspace_id)
        .on_conflict_do_nothing(index_elements=[CampaignSummary.campaign_id])
    )


async def ensure_campaigns(
    session: AsyncSession, campaigns: Iterable[tuple[str, uuid.UUID]]
) -> None:
    """`ensure_campaign` for many `(workspace, campaign)` in one statement."""
    rows = [
        {"campaign_id": campaign_id, "workspace_id": workspace_id}
        for campaign_id, workspace_id in {c: w for w, c in campaigns}.items()
    ]
    if rows:
        await session.execute(
            insert(CampaignSummary)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[CampaignSummary.campaign_id])
        )


async def upsert_campaign_plan(
    session: AsyncSession,
    workspace_id: str,
    campaign_id: uuid.UUID,
    *,
    name: str,
    category: str,
    audience_size: int | None,
    launched_at: datetime,
    state: str,
) -> None:
    """`campaign.scheduled`: name, category and launch time; the state only if still the most
    advanced one; the audience size only if `campaign.updated` did not already give it."""
    statement = insert(CampaignSummary).values(
        campaign_id=campaign_id,
        workspace_id=workspace_id,
        name=name,
        category=category,
        audience_size=audience_size,
        launched_at=launched_at,
        state=state,
        state_changed_at=launched_at,
    )
    new = statement.excluded
    wins = sa.or_(
        CampaignSummary.state.is_(None),
        _state_key(new.state, new.state_changed_at)
        > _state_key(CampaignSummary.state, CampaignSummary.state_changed_at),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CampaignSummary.campaign_id],
            set_={
                "name": new.name,
                "category": new.category,
                "launched_at": new.launched_at,
                "audience_size": sa.func.coalesce(CampaignSummary.audience_size, new.audience_size),
                "state": sa.case((wins, new.state), else_=CampaignSummary.state),
                "state_changed_at": sa.case(
                    (wins, new.state_changed_at), else_=CampaignSummary.state_changed_at
                ),
                "updated_at": sa.func.now(),
            },
            where=CampaignSummary.workspace_id == new.workspace_id,
        )
    )


async def upsert_campaign_state(
    session: AsyncSession,
    workspace_id: str,
    campaign_id: uuid.UUID,
    *,
    state: str,
    changed_at: datetime,
    audience_size: int | None,
) -> None:
    """`campaign.updated`: the state if it supersedes the stored one; the audience size when
    given (it is final once expansion ended)."""
    statement = insert(CampaignSummary).values(
        campaign_id=campaign_id,
        workspace_id=workspace_id,
        state=state,
        state_changed_at=changed_at,
        audience_size=audience_size,
    )
    new = statement.excluded
    wins = sa.or_(
        CampaignSummary.state.is_(None),
        _state_key(new.state, new.state_changed_at)
        > _state_key(CampaignSummary.state, CampaignSummary.state_changed_at),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CampaignSummary.campaign_id],
            set_={
                "audience_size": sa.func.coalesce(new.audience_size, CampaignSummary.audience_size),
                "state": sa.case((wins, new.state), else_=CampaignSummary.state),
                "state_changed_at": sa.case(
                    (wins, new.state_changed_at), else_=CampaignSummary.state_changed_at
                ),
                "updated_at": sa.func.now(),
            },
            where=CampaignSummary.workspace_id == new.workspace_id,
        )
    )


async def get_campaign(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID
) -> CampaignSummary | None:
    query = sa.select(CampaignSummary).where(
        CampaignSummary.workspace_id == workspace_id, CampaignSummary.campaign_id == campaign_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def page_campaigns(
    session: AsyncSession,
    workspace_id: str,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[CampaignSummary]:
    """Newest first: keyset on (created_at, campaign_id), both immutable, so pages are stable."""
    query = sa.select(CampaignSummary).where(CampaignSummary.workspace_id == workspace_id)
    if after is not None:
        query = query.where(
            sa.tuple_(CampaignSummary.created_at, CampaignSummary.campaign_id)
            < sa.tuple_(
                sa.literal(after[0], sa.DateTime(timezone=True)),
                sa.literal(after[1], UUID(as_uuid=True)),
            )
        )
    query = query.order_by(
        CampaignSummary.created_at.desc(), CampaignSummary.campaign_id.desc()
    ).limit(limit)
    return (await session.scalars(query)).all()


# --- message_fact --------------------------------------------------------------------------


def _message_insert(
    workspace_id: str, message_id: uuid.UUID, campaign_id: uuid.UUID | None, **columns: Any
) -> Any:
    return insert(MessageFact).values(
        message_id=message_id, workspace_id=workspace_id, campaign_id=campaign_id, **columns
    )


async def _upsert_message(statement: Any, session: AsyncSession, set_: dict[str, Any]) -> None:
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[MessageFact.message_id],
            set_={
                "campaign_id": sa.func.coalesce(MessageFact.campaign_id, new.campaign_id),
                "updated_at": sa.func.now(),
                **set_,
            },
            where=MessageFact.workspace_id == new.workspace_id,
        )
    )


async def record_requested(
    session: AsyncSession,
    workspace_id: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    requested_at: datetime,
) -> None:
    statement = _message_insert(workspace_id, message_id, campaign_id, requested_at=requested_at)
    await _upsert_message(
        statement,
        session,
        {"requested_at": sa.func.least(MessageFact.requested_at, statement.excluded.requested_at)},
    )


async def record_submitted(
    session: AsyncSession,
    workspace_id: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    submitted_at: datetime,
    segments: int,
) -> None:
    statement = _message_insert(
        workspace_id, message_id, campaign_id, submitted_at=submitted_at, segments=segments
    )
    new = statement.excluded
    await _upsert_message(
        statement,
        session,
        {
            "submitted_at": sa.func.least(MessageFact.submitted_at, new.submitted_at),
            "segments": sa.func.coalesce(MessageFact.segments, new.segments),
        },
    )


def _first_per_message(rows: Iterable[dict[str, Any]], earliest: str) -> list[dict[str, Any]]:
    """One row per message (a run may repeat one): the first, with the earliest `earliest`."""
    kept: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        first = kept.setdefault(row["message_id"], row)
        first[earliest] = min(first[earliest], row[earliest])
    return list(kept.values())


async def record_requested_many(
    session: AsyncSession, facts: Sequence[tuple[str, uuid.UUID, uuid.UUID | None, datetime]]
) -> None:
    """`record_requested` for many `(workspace, message, campaign, requested_at)` at once."""
    rows = _first_per_message(
        (
            {"message_id": m, "workspace_id": w, "campaign_id": c, "requested_at": at}
            for w, m, c, at in facts
        ),
        "requested_at",
    )
    if rows:
        statement = insert(MessageFact).values(rows)
        earliest = sa.func.least(MessageFact.requested_at, statement.excluded.requested_at)
        await _upsert_message(statement, session, {"requested_at": earliest})


async def record_submitted_many(
    session: AsyncSession,
    facts: Sequence[tuple[str, uuid.UUID, uuid.UUID | None, datetime, int]],
) -> None:
    """`record_submitted` for many `(workspace, message, campaign, submitted_at, segments)`."""
    rows = _first_per_message(
        (
            {
                "message_id": m,
                "workspace_id": w,
                "campaign_id": c,
                "submitted_at": at,
                "segments": segments,
            }
            for w, m, c, at, segments in facts
        ),
        "submitted_at",
    )
    if rows:
        statement = insert(MessageFact).values(rows)
        new = statement.excluded
        await _upsert_message(
            statement,
            session,
            {
                "submitted_at": sa.func.least(MessageFact.submitted_at, new.submitted_at),
                "segments": sa.func.coalesce(MessageFact.segments, new.segments),
            },
        )


async def record_suppressed(
    session: AsyncSession,
    workspace_id: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    reason: str,
) -> None:
    statement = _message_insert(workspace_id, message_id, campaign_id, suppressed_reason=reason)
    await _upsert_message(
        statement,
        session,
        {
            "suppressed_reason": sa.func.coalesce(
                MessageFact.suppressed_reason, statement.excluded.suppressed_reason
            )
        },
    )


async def record_failed(
    session: AsyncSession,
    workspace_id: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    failed_at: datetime,
) -> None:
    statement = _message_insert(workspace_id, message_id, campaign_id, failed_at=failed_at)
    await _upsert_message(
        statement,
        session,
        {"failed_at": sa.func.least(MessageFact.failed_at, statement.excluded.failed_at)},
    )


def _delivery_key(status: Any, final: Any, reported_at: Any) -> sa.Tuple:
    """The SQL twin of `DeliveryReport.key()`."""
    return sa.tuple_(final, status != UNKNOWN_STATUS, reported_at, status)


async def record_delivery(
    session: AsyncSession,
    workspace_id: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    *,
    status: str,
    final: bool,
    reported_at: datetime,
) -> None:
    """Keep the receipt with the greatest order key: a final status never regresses."""
    statement = _message_insert(
        workspace_id,
        message_id,
        campaign_id,
        delivery_status=status,
        delivery_final=final,
        delivery_reported_at=reported_at,
    )
    new = statement.excluded
    wins = sa.or_(
        MessageFact.delivery_status.is_(None),
        _delivery_key(new.delivery_status, new.delivery_final, new.delivery_reported_at)
        > _delivery_key(
            MessageFact.delivery_status,
            MessageFact.delivery_final,
            MessageFact.delivery_reported_at,
        ),
    )
    await _upsert_message(
        statement,
        session,
        {
            column: sa.case((wins, getattr(new, column)), else_=getattr(MessageFact, column))
            for column in ("delivery_status", "delivery_final", "delivery_reported_at")
        },
    )


async def campaign_counts(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID
) -> CampaignCounts:
    """One aggregate query over the campaign's messages (index on workspace_id, campaign_id)."""
    final = MessageFact.delivery_final.is_(True)
    count = sa.func.count()
    filters: dict[str, Any] = {
        "requested": MessageFact.requested_at.is_not(None),
        "submitted": MessageFact.submitted_at.is_not(None),
        "suppressed": MessageFact.suppressed_reason.is_not(None),
        "failed": MessageFact.failed_at.is_not(None),
        "delivered": sa.and_(final, MessageFact.delivery_status == "delivered"),
        "undelivered": sa.and_(final, MessageFact.delivery_status == "undelivered"),
        "expired": sa.and_(final, MessageFact.delivery_status == "expired"),
        "rejected": sa.and_(final, MessageFact.delivery_status == "rejected"),
        "unknown": sa.and_(final, MessageFact.delivery_status == UNKNOWN_STATUS),
        "pending": sa.and_(
            MessageFact.submitted_at.is_not(None),
            MessageFact.failed_at.is_(None),
            MessageFact.delivery_final.is_(False),
        ),
    }
    columns: list[Any] = [count.filter(filters[name]).label(name) for name in _STATS_COUNTS]
    columns += [
        count.filter(MessageFact.suppressed_reason == reason).label(f"reason_{index}")
        for index, reason in enumerate(SUPPRESSION_REASONS)
    ]
    columns += [
        sa.func.coalesce(sa.func.sum(MessageFact.segments), 0).label("segments"),
        sa.func.max(MessageFact.updated_at).label("last_change"),
    ]
    query = sa.select(*columns).where(
        MessageFact.workspace_id == workspace_id, MessageFact.campaign_id == campaign_id
    )
    row = (await session.execute(query)).one()
    return CampaignCounts(
        **{name: int(row._mapping[name]) for name in _STATS_COUNTS},
        suppressed_by_reason={
            reason: int(row._mapping[f"reason_{index}"])
            for index, reason in enumerate(SUPPRESSION_REASONS)
        },
        segments=int(row.segments),
        last_change=row.last_change,
    )


# --- daily_engagement ----------------------------------------------------------------------


async def count_engagement(session: AsyncSession, workspace_id: str, day: date, kind: str) -> None:
    """+1 for the day. Not idempotent by itself: the runner's inbox, written in the same
    transaction, is what applies each event exactly once."""
    statement = insert(DailyEngagement).values(
        workspace_id=workspace_id, day=day, kind=kind, count=1
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                DailyEngagement.workspace_id,
                DailyEngagement.day,
                DailyEngagement.kind,
            ],
            set_={"count": DailyEngagement.count + 1},
        )
    )


async def engagement_between(
    session: AsyncSession, workspace_id: str, start: date, end: date
) -> Sequence[tuple[date, str, int]]:
    query = sa.select(DailyEngagement.day, DailyEngagement.kind, DailyEngagement.count).where(
        DailyEngagement.workspace_id == workspace_id,
        DailyEngagement.day >= start,
        DailyEngagement.day <= end,
    )
    return [(day, kind, int(count)) for day, kind, count in (await session.execute(query)).all()]
