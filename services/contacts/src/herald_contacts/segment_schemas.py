"""API models of segments and of declared attribute types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from herald_contacts.domain.attribute_types import AttributeType
from herald_contacts.schemas import ContactRead

FILTER_EXAMPLE = {
    "all": [
        {"field": "country", "op": "eq", "value": "FR"},
        {"field": "last_click_at", "op": "within_last_days", "value": 30},
    ]
}


class AttributeDeclare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: AttributeType


class AttributeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    type: AttributeType
    created_at: datetime
    updated_at: datetime


class AttributeList(BaseModel):
    items: list[AttributeRead]


class SegmentWrite(BaseModel):
    """Create (POST) or replace (PUT) a saved segment."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    filter: dict[str, Any] = Field(examples=[FILTER_EXAMPLE])


class SegmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    filter: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SegmentCountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: dict[str, Any] = Field(examples=[FILTER_EXAMPLE])
    include_unreachable: bool = False


class SegmentCount(BaseModel):
    count: int
    took_ms: float


class SegmentPreviewRequest(SegmentCountRequest):
    limit: int = Field(default=20, ge=1, le=100)


class SegmentPreview(BaseModel):
    items: list[ContactRead]
