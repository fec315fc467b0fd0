"""Handlers: each applies one event (a `*_many` one, a run of events) inside the runner's
transaction.

Every `sms.*` handler is one idempotent UPSERT on `message_fact` that sets only its own
columns, so the events of one message may arrive in any order across topics. Analytics
produces no events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from herald_analytics import service
from herald_analytics.domain.engagement import EngagementKind
from herald_events import Envelope
from herald_events.models.campaigns import CampaignScheduledV1, CampaignUpdatedV1, SmsRequestedV1
from herald_events.models.dispatcher import SmsFailedV1, SmsSubmittedV1, SmsSuppressedV1
from herald_events.models.receipts import OptoutReceivedV1, SmsDeliveredV1, SmsInboundV1
from herald_kit.consumer import HandlerContext


async def on_campaign_scheduled(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: CampaignScheduledV1 = event.payload
    await service.apply_campaign_scheduled(ctx.session, event.workspace_id, payload)


async def on_campaign_updated(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: CampaignUpdatedV1 = event.payload
    await service.apply_campaign_updated(ctx.session, event.workspace_id, payload)


async def on_sms_requested(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsRequestedV1 = event.payload
    await service.record_requested(ctx.session, event.workspace_id, payload, event.occurred_at)


async def on_sms_submitted(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsSubmittedV1 = event.payload
    await service.record_submitted(ctx.session, event.workspace_id, payload)


async def on_sms_requested_many(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    await service.record_requested_many(ctx.session, events)


async def on_sms_submitted_many(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    await service.record_submitted_many(ctx.session, events)


async def on_sms_suppressed(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsSuppressedV1 = event.payload
    await service.record_suppressed(ctx.session, event.workspace_id, payload)


async def on_sms_failed(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsFailedV1 = event.payload
    await service.record_failed(ctx.session, event.workspace_id, payload)


async def on_sms_delivered(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsDeliveredV1 = event.payload
    await service.record_delivery(ctx.session, event.workspace_id, payload)


async def on_sms_inbound(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsInboundV1 = event.payload
    await service.count_engagement(
        ctx.session, event.workspace_id, EngagementKind.INBOUND, payload.received_at
    )


async def on_optout_received(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: OptoutReceivedV1 = event.payload
    await service.count_engagement(
        ctx.session, event.workspace_id, EngagementKind.OPTOUT, payload.received_at
    )
