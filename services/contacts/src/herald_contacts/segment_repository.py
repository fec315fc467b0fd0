"""Queries on saved segments, and the count and preview of an audience condition."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.models import Contact, Segment

# A filter is compiled anew for each request with its own values: a generic plan cached for
# one workspace's sizes could be a disaster for another's, so always plan with the values.
_CUSTOM_PLANS = sa.text("SET LOCAL plan_cache_mode = force_custom_plan")
# A pathological filter must not hold a connection (and CPUs) for minutes.
_COUNT_TIMEOUT = sa.text("SET LOCAL statement_timeout = '20s'")


async def plan_each_query_with_its_values(session: AsyncSession) -> None:
    """For the rest of the transaction (a snapshot's pages run one prepared statement)."""
    await session.execute(_CUSTOM_PLANS)


async def get(session: AsyncSession, workspace_id: str, segment_id: uuid.UUID) -> Segment | None:
    query = sa.select(Segment).where(Segment.workspace_id == workspace_id, Segment.id == segment_id)
    return (await session.scalars(query)).one_or_none()


async def name_taken(
    session: AsyncSession, workspace_id: str, name: str, other_than: uuid.UUID | None = None
) -> bool:
    query = sa.select(Segment.id).where(Segment.workspace_id == workspace_id, Segment.name == name)
    if other_than is not None:
        query = query.where(Segment.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


async def add(session: AsyncSession, segment: Segment) -> None:
    session.add(segment)
    await session.flush()


async def delete(session: AsyncSession, segment: Segment) -> None:
    await session.delete(segment)
    await session.flush()


async def page(
    session: AsyncSession, workspace_id: str, after_name: str | None, limit: int
) -> Sequence[Segment]:
    query = sa.select(Segment).where(Segment.workspace_id == workspace_id)
    if after_name is not None:
        query = query.where(Segment.name > after_name)
    return (await session.scalars(query.order_by(Segment.name).limit(limit))).all()


async def count_matching(
    session: AsyncSession, workspace_id: str, condition: sa.ColumnElement[bool]
) -> int:
    await session.execute(_CUSTOM_PLANS)
    await session.execute(_COUNT_TIMEOUT)
    query = (
        sa.select(sa.func.count())
        .select_from(Contact)
        .where(Contact.workspace_id == workspace_id, condition)
    )
    return int((await session.execute(query)).scalar_one())


async def first_matching(
    session: AsyncSession, workspace_id: str, condition: sa.ColumnElement[bool], limit: int
) -> Sequence[Contact]:
    await session.execute(_CUSTOM_PLANS)
    await session.execute(_COUNT_TIMEOUT)
    query = (
        sa.select(Contact)
        .where(Contact.workspace_id == workspace_id, condition)
        .order_by(Contact.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()
