"""`/v1/inbound`: handsets' messages, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from herald_kit.app import SessionDep
from herald_kit.errors import Unprocessable
from herald_kit.pagination import Page, decode_cursor, encode_cursor
from herald_receipts import service
from herald_receipts.api.deps import ReceiptsReader
from herald_receipts.schemas import InboundRead
from herald_receipts.settings import get_settings

router = APIRouter(prefix="/v1/inbound", tags=["inbound"])


def cursor_position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    values = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(values["t"])), uuid.UUID(str(values["id"]))
    except (KeyError, ValueError) as error:
        raise Unprocessable("cursor: not a cursor returned by this API") from error


@router.get("")
async def list_inbound(
    principal: ReceiptsReader,
    session: SessionDep,
    phone: Annotated[str | None, Query(min_length=3, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[InboundRead]:
    rows = await service.list_inbound(
        session,
        principal.workspace_id,
        phone,
        cursor_position(cursor),
        limit,
        get_settings().default_region,
    )
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor({"t": last.received_at.isoformat(), "id": str(last.id)})
    return Page[InboundRead](
        items=[InboundRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )
