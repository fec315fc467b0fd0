"""The envelope every Herald event travels in, whatever its topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[P]):
    """`event_id` is the idempotency key: consumers record it in their inbox table."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = Field(ge=1)
    occurred_at: datetime = Field(default_factory=utcnow)
    workspace_id: str = Field(min_length=1, max_length=64)
    producer: str = Field(min_length=1)
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: P


class RawEnvelope(BaseModel):
    """The envelope with its payload still undecoded, to route by `type` and `version`."""

    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    workspace_id: str
    producer: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]
