"""Every query of the campaigns service.

Each query names the workspace, except `claim_job`: the expansion worker serves every
workspace, and everything it does after the claim is scoped to the job's workspace.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_campaigns.models import (
    Campaign,
    CampaignStatus,
    ConsentProjection,
    ExpansionJob,
    JobState,
)
from herald_compliance.gate import ANY_BRAND, ConsentView


async def get_campaign(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID, *, for_update: bool = False
) -> Campaign | None:
    query = sa.select(Campaign).where(
        Campaign.workspace_id == workspace_id, Campaign.id == campaign_id
    )
    if for_update:
        # populate_existing: a row already in the session is refreshed from the locked read.
        query = query.with_for_update(of=Campaign).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def add(session: AsyncSession, row: Campaign | ExpansionJob) -> None:
    session.add(row)
    await session.flush()


async def page_campaigns(
    session: AsyncSession,
    workspace_id: str,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    status: str | None = None,
) -> Sequence[Campaign]:
    """Newest first, keyset on (created_at, id)."""
    query = sa.select(Campaign).where(Campaign.workspace_id == workspace_id)
    if status is not None:
        query = query.where(Campaign.status == status)
    if before is not None:
        created_at, campaign_id = before
        query = query.where(
            sa.tuple_(Campaign.created_at, Campaign.id)
            < sa.tuple_(
                sa.literal(created_at, sa.DateTime(timezone=True)),
                sa.literal(campaign_id, UUID(as_uuid=True)),
            )
        )
    query = query.order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def get_job(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID, *, for_update: bool = False
) -> ExpansionJob | None:
    query = sa.select(ExpansionJob).where(
        ExpansionJob.workspace_id == workspace_id, ExpansionJob.campaign_id == campaign_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def claim_job(
    session: AsyncSession, lease: timedelta
) -> tuple[ExpansionJob, dict[str, Any]] | None:
    """The job that waited longest among those of launching campaigns that are pending or
    whose worker stopped touching them for `lease` (rows other workers hold are skipped),
    with its campaign's audience."""
    stale = sa.func.now() - lease
    query = (
        sa.select(ExpansionJob, Campaign.audience)
        .join(
            Campaign,
            sa.and_(
                Campaign.id == ExpansionJob.campaign_id,
                Campaign.workspace_id == ExpansionJob.workspace_id,
            ),
        )
        .where(
            Campaign.status == CampaignStatus.LAUNCHING,
            sa.or_(
                ExpansionJob.state == JobState.PENDING,
                sa.and_(ExpansionJob.state == JobState.RUNNING, ExpansionJob.updated_at < stale),
            ),
        )
        .order_by(ExpansionJob.updated_at)
        .limit(1)
        .with_for_update(skip_locked=True, of=ExpansionJob)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def consents_for(
    session: AsyncSession, workspace_id: str, phones: Sequence[str], purpose: str, brand: str
) -> dict[str, ConsentView]:
    """Consent of each phone for `purpose`, for `brand` and for every brand ('*')."""
    if not phones:
        return {}
    rows = await session.execute(
        sa.select(
            ConsentProjection.phone,
            ConsentProjection.purpose,
            ConsentProjection.brand,
            ConsentProjection.status,
        ).where(
            ConsentProjection.workspace_id == workspace_id,
            ConsentProjection.phone.in_(list(set(phones))),
            ConsentProjection.purpose == purpose,
            ConsentProjection.brand.in_([brand, ANY_BRAND]),
        )
    )
    statuses: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for row in rows:
        statuses[row.phone][(row.purpose, row.brand)] = row.status
    return {phone: ConsentView(view) for phone, view in statuses.items()}


async def upsert_consent(
    session: AsyncSession,
    workspace_id: str,
    phone: str,
    purpose: str,
    brand: str,
    status: str,
    changed_at: datetime,
) -> None:
    """Insert or replace, unless the stored state is newer (events may arrive late)."""
    await upsert_consents(session, [(workspace_id, phone, purpose, brand, status, changed_at)])


async def upsert_consents(
    session: AsyncSession, facts: Sequence[tuple[str, str, str, str, str, datetime]]
) -> None:
    """`upsert_consent` for many `(workspace, phone, purpose, brand, status, changed_at)` in
    one statement: the newest per key when one repeats (the later one on a tie, as one by
    one)."""
    newest: dict[tuple[str, str, str, str], tuple[str, datetime]] = {}
    for workspace_id, phone, purpose, brand, status, changed_at in facts:
        key = (workspace_id, phone, purpose, brand)
        known = newest.get(key)
        if known is None or known[1] <= changed_at:
            newest[key] = (status, changed_at)
    if not newest:
        return
    statement = insert(ConsentProjection).values(
        [
            {
                "workspace_id": workspace_id,
                "phone": phone,
                "purpose": purpose,
                "brand": brand,
                "status": status,
                "changed_at": changed_at,
                "updated_at": sa.func.now(),
            }
            for (workspace_id, phone, purpose, brand), (status, changed_at) in newest.items()
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["workspace_id", "phone", "purpose", "brand"],
        set_={
            "status": statement.excluded.status,
            "changed_at": statement.excluded.changed_at,
            "updated_at": statement.excluded.updated_at,
        },
        where=ConsentProjection.changed_at <= statement.excluded.changed_at,
    )
    await session.execute(statement)


async def delete_consent_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    """Forget a number's consent projection rows (an erased contact)."""
    result = await session.execute(
        sa.delete(ConsentProjection)
        .where(ConsentProjection.workspace_id == workspace_id, ConsentProjection.phone == phone)
        .returning(ConsentProjection.purpose)
    )
    return len(result.all())
