"""Use cases of segments: saved filters, and the audiences they select.

A filter is validated against the workspace's declared attribute types when it is saved and
again each time it is used (a declaration may have changed since), so a count or a snapshot
never runs a filter the current schema would refuse.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import attribute_repository, segment_repository
from herald_contacts.domain.segment_compiler import compile_filter
from herald_contacts.domain.segments import FilterError, Node, parse_filter
from herald_contacts.errors import SegmentNameTaken, SegmentNotFound, SegmentQueryTooSlow
from herald_contacts.models import Contact, Segment
from herald_contacts.segment_schemas import SegmentCount, SegmentWrite
from herald_kit.errors import Unprocessable

QUERY_CANCELED = "57014"  # SQLSTATE of a statement_timeout


async def checked_filter(session: AsyncSession, workspace_id: str, raw: Mapping[str, Any]) -> Node:
    """The parsed filter, or a 422 naming the spot (`filter.all[2].value: ...`)."""
    schema = await attribute_repository.schema(session, workspace_id)
    try:
        return parse_filter(raw, schema)
    except FilterError as error:
        raise Unprocessable(str(error)) from None


def audience_condition(
    node: Node | None, now: datetime, include_unreachable: bool
) -> sa.ColumnElement[bool]:
    """Who a filter selects; numbers known to be unreachable are left out unless asked for.
    No filter (`None`) selects every contact."""
    condition = compile_filter(node, now) if node is not None else sa.true()
    if include_unreachable:
        return condition
    return sa.and_(Contact.reachable.is_(True), condition)


async def create_segment(session: AsyncSession, workspace_id: str, data: SegmentWrite) -> Segment:
    await checked_filter(session, workspace_id, data.filter)
    if await segment_repository.name_taken(session, workspace_id, data.name):
        raise SegmentNameTaken(data.name)
    now = datetime.now(UTC)
    segment = Segment(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        name=data.name,
        filter=data.filter,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            await segment_repository.add(session, segment)
    except IntegrityError as error:  # a concurrent create with the same name
        raise SegmentNameTaken(data.name) from error
    return segment


async def get_segment(session: AsyncSession, workspace_id: str, segment_id: uuid.UUID) -> Segment:
    segment = await segment_repository.get(session, workspace_id, segment_id)
    if segment is None:
        raise SegmentNotFound()
    return segment


async def replace_segment(
    session: AsyncSession, workspace_id: str, segment_id: uuid.UUID, data: SegmentWrite
) -> Segment:
    segment = await get_segment(session, workspace_id, segment_id)
    await checked_filter(session, workspace_id, data.filter)
    if await segment_repository.name_taken(session, workspace_id, data.name, segment_id):
        raise SegmentNameTaken(data.name)
    segment.name = data.name
    segment.filter = data.filter
    segment.updated_at = datetime.now(UTC)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise SegmentNameTaken(data.name) from error
    return segment


async def delete_segment(session: AsyncSession, workspace_id: str, segment_id: uuid.UUID) -> None:
    segment = await get_segment(session, workspace_id, segment_id)
    await segment_repository.delete(session, segment)


async def list_segments(
    session: AsyncSession, workspace_id: str, after_name: str | None, limit: int
) -> Sequence[Segment]:
    return await segment_repository.page(session, workspace_id, after_name, limit)


async def count(
    session: AsyncSession,
    workspace_id: str,
    raw_filter: Mapping[str, Any],
    include_unreachable: bool,
) -> SegmentCount:
    node = await checked_filter(session, workspace_id, raw_filter)
    condition = audience_condition(node, datetime.now(UTC), include_unreachable)
    started = time.perf_counter()
    try:
        matching = await segment_repository.count_matching(session, workspace_id, condition)
    except DBAPIError as error:
        if _timed_out(error):
            raise SegmentQueryTooSlow() from error
        raise
    took_ms = round((time.perf_counter() - started) * 1000, 1)
    return SegmentCount(count=matching, took_ms=took_ms)


async def count_saved(
    session: AsyncSession, workspace_id: str, segment_id: uuid.UUID, include_unreachable: bool
) -> SegmentCount:
    segment = await get_segment(session, workspace_id, segment_id)
    return await count(session, workspace_id, segment.filter, include_unreachable)


async def preview(
    session: AsyncSession,
    workspace_id: str,
    raw_filter: Mapping[str, Any],
    include_unreachable: bool,
    limit: int,
) -> Sequence[Contact]:
    node = await checked_filter(session, workspace_id, raw_filter)
    condition = audience_condition(node, datetime.now(UTC), include_unreachable)
    try:
        return await segment_repository.first_matching(session, workspace_id, condition, limit)
    except DBAPIError as error:
        if _timed_out(error):
            raise SegmentQueryTooSlow() from error
        raise


async def snapshot_condition(
    session: AsyncSession,
    workspace_id: str,
    segment_id: uuid.UUID | None,
    include_unreachable: bool,
    now: datetime,
) -> sa.ColumnElement[bool]:
    """The condition a snapshot streams: the saved segment's audience, or every contact
    (reachable ones only unless asked). 404 / 422 here, before any line is streamed."""
    node = None
    if segment_id is not None:
        segment = await get_segment(session, workspace_id, segment_id)
        node = await checked_filter(session, workspace_id, segment.filter)
    return audience_condition(node, now, include_unreachable)


def _timed_out(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == QUERY_CANCELED
