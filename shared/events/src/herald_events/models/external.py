"""Events produced outside the six services: e-commerce systems and the admin command."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from herald_events.models.common import E164, Payload


class CommerceEventKind(StrEnum):
    ORDER_PLACED = "order.placed"
    ORDER_SHIPPED = "order.shipped"
    CART_ABANDONED = "cart.abandoned"
    APPOINTMENT_BOOKED = "appointment.booked"
    CUSTOMER_SIGNED_UP = "customer.signed_up"
    LOYALTY_UPDATED = "loyalty.updated"


class CommerceEventV1(Payload):
    """A business fact from an e-commerce system."""

    kind: CommerceEventKind
    external_customer_ref: str
    phone: E164 | None = None
    occurred_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class ApiKeyChangedV1(Payload):
    """Current state of an API key; only a hash of the secret ever travels."""

    key_id: str
    name: str
    scopes: list[str]
    secret_sha256: str
    revoked: bool = False
    changed_at: datetime
