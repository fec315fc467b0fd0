"""Builders of the events analytics consumes, and the one way tests apply them: through the
service's real subscription and the kit's inbox (`apply_once`), in a real transaction.

Imported by the tests as a plain module: conftest.py puts this folder on sys.path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_analytics.events.subscriptions import groups
from herald_events import Envelope
from herald_events.models.campaigns import (
    CampaignScheduledV1,
    CampaignState,
    CampaignUpdatedV1,
    SmsRequestedV1,
)
from herald_events.models.common import Category
from herald_events.models.dispatcher import (
    SmsFailedV1,
    SmsSubmittedV1,
    SmsSuppressedV1,
    SuppressionReason,
)
from herald_events.models.receipts import (
    DeliveryStatus,
    KeywordKind,
    OptoutReceivedV1,
    SmsDeliveredV1,
    SmsInboundV1,
)
from herald_kit.consumer import HandlerContext, apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PHONE = "+33612345678"


def new_workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:10]}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def envelope(
    topic: str,
    workspace: str,
    payload: BaseModel,
    *,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope[Any]:
    return Envelope[Any](
        event_id=event_id or uuid.uuid4(),
        type=topic,
        version=1,
        occurred_at=occurred_at or T0,
        workspace_id=workspace,
        producer="test",
        payload=payload,
    )


def scheduled(
    workspace: str,
    campaign_id: uuid.UUID,
    *,
    name: str = "Soldes d'hiver",
    audience_size: int | None = None,
    launched_at: datetime = T0,
) -> Envelope[Any]:
    return envelope(
        "campaign.scheduled",
        workspace,
        CampaignScheduledV1(
            campaign_id=campaign_id,
            name=name,
            category=Category.MARKETING,
            sender="HERALD",
            audience_size=audience_size,
            launched_at=launched_at,
            expires_at=launched_at + timedelta(days=1),
        ),
    )


def updated(
    workspace: str,
    campaign_id: uuid.UUID,
    state: CampaignState,
    changed_at: datetime,
    audience_size: int | None = None,
) -> Envelope[Any]:
    return envelope(
        "campaign.updated",
        workspace,
        CampaignUpdatedV1(
            campaign_id=campaign_id, state=state, changed_at=changed_at, audience_size=audience_size
        ),
    )


def requested(
    workspace: str, message_id: uuid.UUID, campaign_id: uuid.UUID | None, when: datetime = T0
) -> Envelope[Any]:
    return envelope(
        "sms.requested",
        workspace,
        SmsRequestedV1(
            message_id=message_id,
            phone=PHONE,
            text="Bonjour, -20% ce week-end ! STOP au 36111",
            category=Category.MARKETING,
            sender="HERALD",
            campaign_id=campaign_id,
            expires_at=when + timedelta(days=1),
        ),
        occurred_at=when,
    )


def submitted(
    workspace: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    segments: int = 1,
    when: datetime | None = None,
) -> Envelope[Any]:
    return envelope(
        "sms.submitted",
        workspace,
        SmsSubmittedV1(
            message_id=message_id,
            phone=PHONE,
            campaign_id=campaign_id,
            category=Category.MARKETING,
            route="smpp-default",
            provider_message_ids=[uuid.uuid4().hex[:8]],
            segments=segments,
            encoding="GSM7",
            submitted_at=when or at(1),
        ),
    )


def suppressed(
    workspace: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    reason: SuppressionReason = SuppressionReason.NO_CONSENT,
) -> Envelope[Any]:
    return envelope(
        "sms.suppressed",
        workspace,
        SmsSuppressedV1(
            message_id=message_id,
            phone=PHONE,
            campaign_id=campaign_id,
            category=Category.MARKETING,
            reason=reason,
            decided_at=at(1),
        ),
    )


def failed(workspace: str, message_id: uuid.UUID, campaign_id: uuid.UUID | None) -> Envelope[Any]:
    return envelope(
        "sms.failed",
        workspace,
        SmsFailedV1(
            message_id=message_id,
            phone=PHONE,
            campaign_id=campaign_id,
            route="smpp-default",
            error_code="0x0000000B",
            reason="invalid destination address",
            failed_at=at(1),
        ),
    )


def delivered(
    workspace: str,
    message_id: uuid.UUID,
    campaign_id: uuid.UUID | None,
    status: DeliveryStatus = DeliveryStatus.DELIVERED,
    *,
    final: bool = True,
    when: datetime | None = None,
) -> Envelope[Any]:
    return envelope(
        "sms.delivered",
        workspace,
        SmsDeliveredV1(
            message_id=message_id,
            campaign_id=campaign_id,
            status=status,
            final=final,
            reported_at=when or at(5),
        ),
    )


def inbound(workspace: str, when: datetime) -> Envelope[Any]:
    return envelope(
        "sms.inbound",
        workspace,
        SmsInboundV1(
            inbound_id=uuid.uuid4(),
            phone=PHONE,
            destination="36111",
            text="STOP",
            keyword=KeywordKind.OPT_OUT,
            received_at=when,
        ),
    )


def optout(workspace: str, when: datetime) -> Envelope[Any]:
    return envelope(
        "optout.received",
        workspace,
        OptoutReceivedV1(phone=PHONE, source="keyword", keyword="STOP", received_at=when),
    )


async def apply(sessions: async_sessionmaker[AsyncSession], *events: Envelope[Any]) -> list[bool]:
    """Each event in its own transaction, through the real subscription of its topic and the
    group's inbox; True for each event applied, False for one the inbox already held."""
    results = []
    for event in events:
        for group, subscriptions in groups().items():
            for subscription in subscriptions:
                if subscription.topic == event.type:
                    async with transaction(sessions) as session:
                        results.append(
                            await apply_once(
                                session, Outbox("analytics"), group, subscription, event
                            )
                        )
    return results


async def handle_directly(session: AsyncSession, event: Envelope[Any]) -> None:
    """The handler alone, without the inbox: to show a handler's own write is idempotent."""
    for group, subscriptions in groups().items():
        for subscription in subscriptions:
            if subscription.topic == event.type:
                context = HandlerContext(
                    session=session, outbox=Outbox("analytics"), group=group, envelope=event
                )
                await subscription.handler(event, context)


async def apply_in_runs(sessions: async_sessionmaker[AsyncSession], *events: Envelope[Any]) -> None:
    """One transaction, as the runner's fast path: consecutive events of a topic whose
    subscription has `handle_many` applied at once, the others one by one (no inbox)."""
    subscriptions = {s.topic: (g, s) for g, subs in groups().items() for s in subs}
    async with transaction(sessions) as session:
        index = 0
        while index < len(events):
            group, subscription = subscriptions[events[index].type]
            end = index + 1
            if subscription.handle_many is not None:
                while end < len(events) and events[end].type == events[index].type:
                    end += 1
                context = HandlerContext(session=session, outbox=Outbox("analytics"), group=group)
                await subscription.handle_many(list(events[index:end]), context)
            else:
                await handle_directly(session, events[index])
            index = end
