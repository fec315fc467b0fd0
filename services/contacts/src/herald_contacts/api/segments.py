"""`/v1/segments`: saved filters, and counts and previews of any filter."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from herald_contacts import segment_service
from herald_contacts.api.deps import ContactsReader, ContactsWriter
from herald_contacts.schemas import ContactRead
from herald_contacts.segment_schemas import (
    SegmentCount,
    SegmentCountRequest,
    SegmentPreview,
    SegmentPreviewRequest,
    SegmentRead,
    SegmentWrite,
)
from herald_kit.app import SessionDep
from herald_kit.errors import Unprocessable
from herald_kit.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/segments", tags=["segments"])

IncludeUnreachable = Annotated[bool, Query(description="count numbers known to be unreachable too")]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_segment(
    body: SegmentWrite, principal: ContactsWriter, session: SessionDep
) -> SegmentRead:
    segment = await segment_service.create_segment(session, principal.workspace_id, body)
    return SegmentRead.model_validate(segment)


@router.get("")
async def list_segments(
    principal: ContactsReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Page[SegmentRead]:
    """Segments in name order."""
    after = None
    if cursor:
        after = decode_cursor(cursor).get("after")
        if not isinstance(after, str):
            raise Unprocessable("cursor: not a cursor returned by this API")
    rows = await segment_service.list_segments(session, principal.workspace_id, after, limit)
    next_cursor = encode_cursor({"after": rows[-1].name}) if len(rows) == limit else None
    return Page[SegmentRead](
        items=[SegmentRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("/count")
async def count_filter(
    body: SegmentCountRequest, principal: ContactsReader, session: SessionDep
) -> SegmentCount:
    """How many contacts a filter selects now (unreachable numbers left out by default)."""
    return await segment_service.count(
        session, principal.workspace_id, body.filter, body.include_unreachable
    )


@router.post("/preview")
async def preview_filter(
    body: SegmentPreviewRequest, principal: ContactsReader, session: SessionDep
) -> SegmentPreview:
    """The first contacts (in id order) a filter selects."""
    contacts = await segment_service.preview(
        session, principal.workspace_id, body.filter, body.include_unreachable, body.limit
    )
    return SegmentPreview(items=[ContactRead.model_validate(c) for c in contacts])


@router.get("/{segment_id}")
async def get_segment(
    segment_id: uuid.UUID, principal: ContactsReader, session: SessionDep
) -> SegmentRead:
    segment = await segment_service.get_segment(session, principal.workspace_id, segment_id)
    return SegmentRead.model_validate(segment)


@router.put("/{segment_id}")
async def replace_segment(
    segment_id: uuid.UUID, body: SegmentWrite, principal: ContactsWriter, session: SessionDep
) -> SegmentRead:
    segment = await segment_service.replace_segment(
        session, principal.workspace_id, segment_id, body
    )
    return SegmentRead.model_validate(segment)


@router.delete("/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_segment(
    segment_id: uuid.UUID, principal: ContactsWriter, session: SessionDep
) -> Response:
    await segment_service.delete_segment(session, principal.workspace_id, segment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{segment_id}/count")
async def count_segment(
    segment_id: uuid.UUID,
    principal: ContactsReader,
    session: SessionDep,
    include_unreachable: IncludeUnreachable = False,
) -> SegmentCount:
    return await segment_service.count_saved(
        session, principal.workspace_id, segment_id, include_unreachable
    )
