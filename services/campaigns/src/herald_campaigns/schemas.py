"""API models of the campaigns service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from herald_campaigns.domain.senders import validate_sender
from herald_campaigns.domain.templates import parse
from herald_events.models.campaigns import CapPolicy, SmsPriority
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


class Composition(BaseModel):
    """What decides a campaign's text: shared by a campaign and its preview."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(
        min_length=1,
        max_length=1600,
        description="Text with `{{first_name}}`, `{{last_name}}`, `{{first_name|fallback}}`",
        examples=["Bonjour {{first_name|client}}, -20% ce week-end ! STOP au 36111"],
    )
    category: Category
    brand: str = Field(default="default", min_length=1, max_length=64, pattern=r"^[^*]+$")
    fold_accents: bool = Field(
        default=False,
        description="replace the characters GSM-7 lacks by their look-alikes (ê→e, ’→') "
        "before the STOP mention and the count, so that one accent does not switch the "
        "whole message to UCS-2 (70 characters a part instead of 160)",
    )

    @field_validator("template")
    @classmethod
    def _template_parses(cls, value: str) -> str:
        parse(value)  # TemplateError is a ValueError: 422 naming the variable and position
        return value


class CampaignCreate(Composition):
    name: str = Field(min_length=1, max_length=200, examples=["Soldes d'hiver"])
    sender: str = Field(min_length=1, max_length=16, examples=["HERALD"])
    audience: Audience
    expires_in_hours: int = Field(default=24, ge=1, le=72)
    priority: SmsPriority = Field(
        default=SmsPriority.NORMAL,
        description="the dispatcher's send order; `high` also passes soft frequency caps",
    )
    cap_policy: CapPolicy = Field(
        default=CapPolicy.POSTPONE,
        description="a message a frequency cap stops is held until the cap allows it "
        "(`postpone`) or suppressed (`skip`)",
    )

    @field_validator("sender")
    @classmethod
    def _sender_is_valid(cls, value: str) -> str:
        return validate_sender(value)


class SampleContact(BaseModel):
    """The contact a preview is rendered for (no number: `country` picks the mention)."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=100, examples=["Élodie"])
    last_name: str | None = Field(default=None, max_length=100)
    country: str = Field(
        default="FR",
        pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166 alpha-2: France and its overseas territories get "
        "`STOP au <short code>`, other countries the general wording",
    )

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class PreviewRequest(Composition):
    """A text composed as a campaign would be, for a sample contact (`sample`, default: no
    names, France) or for a contact of the workspace (`contact_id`), not both."""

    sender: str | None = Field(default=None, min_length=1, max_length=16, examples=["HERALD"])
    sample: SampleContact | None = None
    contact_id: uuid.UUID | None = Field(
        default=None, description="render for this contact of the workspace (contacts)"
    )

    @field_validator("sender")
    @classmethod
    def _sender_is_valid(cls, value: str | None) -> str | None:
        return None if value is None else validate_sender(value)

    @field_validator("contact_id")
    @classmethod
    def _not_with_a_sample(cls, value: uuid.UUID | None, info: ValidationInfo) -> uuid.UUID | None:
        if value is not None and info.data.get("sample") is not None:
            raise ValueError("give either `sample` or `contact_id`, not both")
        return value


class PreviewRead(BaseModel):
    """The text exactly as it would be sent, and what it costs."""

    text: str = Field(description="personalised, folded if asked, with the STOP mention")
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int = Field(
        description="GSM-7 septets (€ ^ { } [ ] ~ \\ | count 2) or UCS-2 units (emoji count 2)"
    )
    segments: int = Field(description="SMS parts the text is sent in")
    per_segment: int = Field(description="160 / 153 (GSM-7) or 70 / 67 (UCS-2) per part")
    non_gsm_characters: list[str] = Field(
        description="the characters that force UCS-2 (empty when the text is GSM-7)"
    )
    mention_added: bool = Field(description="whether the STOP mention was appended")
    country: str = Field(description="the country whose STOP mention applies")


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
    priority: SmsPriority
    cap_policy: CapPolicy
    fold_accents: bool
    expires_at: datetime | None
    launched_at: datetime | None
    audience_size: int | None
    expanded_count: int
    created_at: datetime
    updated_at: datetime
    expansion: ExpansionRead | None = None
