"""`/v1/campaigns`: campaign summaries and their figures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from herald_analytics import service
from herald_analytics.api.deps import AnalyticsReader
from herald_analytics.schemas import CampaignStats, CampaignSummaryRead
from herald_kit.app import SessionDep
from herald_kit.errors import Unprocessable
from herald_kit.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    values = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(values["created_at"])), uuid.UUID(str(values["id"]))
    except (KeyError, ValueError) as error:
        raise Unprocessable("cursor: not a cursor returned by this API") from error


@router.get("")
async def list_campaigns(
    principal: AnalyticsReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[CampaignSummaryRead]:
    """The workspace's campaigns, newest first (first seen by analytics)."""
    rows = await service.list_campaigns(session, principal.workspace_id, _after(cursor), limit)
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor(
            {"created_at": last.created_at.isoformat(), "id": str(last.campaign_id)}
        )
    return Page[CampaignSummaryRead](
        items=[CampaignSummaryRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{campaign_id}/stats")
async def campaign_stats(
    campaign_id: uuid.UUID, principal: AnalyticsReader, session: SessionDep
) -> CampaignStats:
    """Figures computed now from one row per message (see `service` for freshness). A campaign
    known only from its messages so far is reported too, with a null name."""
    return await service.campaign_stats(session, principal.workspace_id, campaign_id)
