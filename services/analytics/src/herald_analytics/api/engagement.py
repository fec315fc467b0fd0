"""`/v1/engagement`: inbound messages and opt-outs over time."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from herald_analytics import service
from herald_analytics.api.deps import AnalyticsReader
from herald_analytics.schemas import DailyEngagementRead, EngagementDay
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/engagement", tags=["engagement"])


@router.get("/daily")
async def daily_engagement(
    principal: AnalyticsReader,
    session: SessionDep,
    start: Annotated[
        date | None, Query(alias="from", description="first UTC day, inclusive")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="last UTC day, inclusive")] = None,
) -> DailyEngagementRead:
    """Counts per UTC day, every day of the range (zeros included). `to` defaults to today
    (or 30 days after `from`), `from` to 30 days before `to`; a range covers at most 366 days."""
    start, end, days = await service.daily_engagement(session, principal.workspace_id, start, end)
    return DailyEngagementRead.model_validate(
        {
            "from": start,
            "to": end,
            "days": [EngagementDay(day=d.day, inbound=d.inbound, optout=d.optout) for d in days],
        }
    )
