"""Deterministic identifiers: re-running the same work yields the same ids, so the outbox
(unique event_id) and the dispatcher ledger (unique message_id) drop the repeat."""

from __future__ import annotations

import uuid

# Fixed forever: changing it would give every future re-expansion new message ids.
MESSAGE_NAMESPACE = uuid.UUID("79e706b4-6eaf-5751-b8b2-bf5bfe88cb9e")


def message_id(
    campaign_id: uuid.UUID, contact_id: uuid.UUID, variant: str | None = None
) -> uuid.UUID:
    return uuid.uuid5(MESSAGE_NAMESPACE, f"{campaign_id}:{contact_id}:{variant or ''}")


def requested_event_id(message: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(message, "sms.requested")


def scheduled_event_id(campaign_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(campaign_id, "campaign.scheduled")


def updated_event_id(campaign_id: uuid.UUID, state: str) -> uuid.UUID:
    """A campaign reaches `running` and `cancelled` once each in its life."""
    return uuid.uuid5(campaign_id, f"campaign.updated:{state}")
