"""API models of the contacts service."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Lifecycle = Literal["prospect", "customer", "member"]
ListName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["06 12 34 56 78"])
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    locale: str = Field(default="fr", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    timezone: str | None = Field(default=None, max_length=64)
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=100)
    lists: list[ListName] = Field(default_factory=list, max_length=100)
    lifecycle: Lifecycle = "prospect"


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    timezone: str | None = Field(default=None, max_length=64)
    attributes: dict[str, Any] | None = None
    tags: list[str] | None = Field(default=None, max_length=100)
    lists: list[ListName] | None = Field(default=None, max_length=100)
    lifecycle: Lifecycle | None = None
    # true clears a number's unreachable mark (say, after the contact confirmed it works)
    reachable: bool | None = None


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    phone: str
    country: str | None
    timezone: str | None
    locale: str
    first_name: str | None
    last_name: str | None
    email: str | None
    attributes: dict[str, Any]
    tags: list[str]
    lists: list[str]
    lifecycle: str
    timezone_source: str
    timezone_ambiguous: bool
    orders_count: int
    total_spent: Decimal
    last_order_at: datetime | None
    last_click_at: datetime | None
    last_reply_at: datetime | None
    reachable: bool
    unreachable_reason: str | None
    unreachable_at: datetime | None
    created_at: datetime
    updated_at: datetime
