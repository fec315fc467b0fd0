"""API models of the campaigns service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from herald_campaigns.domain.senders import validate_sender
from herald_campaigns.domain.templates import parse
from herald_events.models.common import Category


class AllContactsAudience(BaseModel):
    """Every contact of the workspace (consent decides who is actually sent to)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["all_contacts"]


class SegmentAudience(BaseModel):
    """The contacts a saved segment of the contacts service selects when the campaign is
    expanded (not when it is created); consent still decides who is actually sent to."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["segment"]
    segment_id: uuid.UUID = Field(description="a saved segment of this workspace (contacts)")
    include_unreachable: bool = Field(
        default=False,
        description="also numbers known to be unreachable (permanent failures): off by default",
    )


# `type` tells them apart; an audience stored before segments existed is `all_contacts`.
Audience = Annotated[
    AllContactsAudience | SegmentAudience,
    Field(
        discriminator="type",
        examples=[
            {"type": "all_contacts"},
            {"type": "segment", "segment_id": "0f8fad5b-d9cb-469f-a165-70867728950e"},
        ],
    ),
]


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Soldes d'hiver"])
    template: str = Field(
        min_length=1,
        max_length=1600,
        description="Text with `{{first_name}}`, `{{last_name}}`, `{{first_name|fallback}}`",
        examples=["Bonjour {{first_name|client}}, -20% ce week-end ! STOP au 36111"],
    )
    category: Category
    brand: str = Field(default="default", min_length=1, max_length=64, pattern=r"^[^*]+$")
    sender: str = Field(min_length=1, max_length=16, examples=["HERALD"])
    audience: Audience
    expires_in_hours: int = Field(default=24, ge=1, le=72)

    @field_validator("template")
    @classmethod
    def _template_parses(cls, value: str) -> str:
        parse(value)  # TemplateError is a ValueError: 422 naming the variable and position
        return value

    @field_validator("sender")
    @classmethod
    def _sender_is_valid(cls, value: str) -> str:
        return validate_sender(value)


class ExpansionRead(BaseModel):
    """Progress of a launch: the audience is streamed from contacts in id order."""

    model_config = ConfigDict(from_attributes=True)

    state: str
    attempts: int
    last_error: str | None
    updated_at: datetime


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    template: str
    category: Category
    brand: str
    sender: str
    audience: Audience
    status: str
    expires_in_hours: int
    expires_at: datetime | None
    launched_at: datetime | None
    audience_size: int | None
    expanded_count: int
    created_at: datetime
    updated_at: datetime
    expansion: ExpansionRead | None = None
