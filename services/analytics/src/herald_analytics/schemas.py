"""API models of the analytics service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class CampaignSummaryRead(BaseModel):
    """A campaign as analytics knows it. Name, category, state and launched_at are null while
    only `sms.*` events of the campaign have arrived (its `campaign.scheduled` not yet)."""

    model_config = ConfigDict(from_attributes=True)

    campaign_id: uuid.UUID
    name: str | None
    category: str | None
    state: str | None = Field(
        description="scheduled, running, paused, cancelled or completed; null when not yet known"
    )
    audience_size: int | None
    launched_at: datetime | None
    updated_at: datetime


class CampaignStats(BaseModel):
    """A campaign's figures, computed at read time from one row per message."""

    campaign_id: uuid.UUID
    name: str | None
    state: str | None
    audience_size: int | None
    requested: int
    submitted: int
    suppressed: int
    suppressed_by_reason: dict[str, int] = Field(
        description="every suppression reason, zero included"
    )
    failed: int
    delivered: int = Field(description="final status delivered")
    undelivered: int
    expired: int
    rejected: int
    unknown: int = Field(description="final status unknown: no receipt within the validity")
    pending: int = Field(description="submitted, not failed, no final delivery status yet")
    segments: int = Field(description="segments of the submitted messages")
    delivery_rate: float | None = Field(description="delivered / submitted; null when 0")
    updated_at: datetime | None = Field(description="last change of this campaign's figures")


class EngagementDay(BaseModel):
    day: date
    inbound: int
    optout: int


class DailyEngagementRead(BaseModel):
    """Inbound messages and opt-outs per UTC day, every day of the range (zeros included)."""

    from_: date = Field(alias="from")
    to: date
    days: list[EngagementDay]
