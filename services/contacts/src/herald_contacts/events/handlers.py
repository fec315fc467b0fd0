"""Handlers: each applies one event inside the runner's transaction."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from herald_contacts import engagement_service, service
from herald_events import Envelope
from herald_events.models.campaigns import LinkClickedV1
from herald_events.models.dispatcher import SmsFailedV1
from herald_events.models.external import CommerceEventKind, CommerceEventV1
from herald_events.models.receipts import SmsDeliveredV1, SmsInboundV1
from herald_kit.consumer import HandlerContext


async def on_commerce_event(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: CommerceEventV1 = event.payload
    if payload.kind != CommerceEventKind.ORDER_PLACED or payload.phone is None:
        return
    try:
        total = Decimal(str(payload.data.get("total", "0")))
    except InvalidOperation:
        total = Decimal(0)
    await service.record_order(
        ctx.session, ctx.outbox, event.workspace_id, payload.phone, total, payload.occurred_at
    )


async def on_sms_inbound(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Any handset message counts as a reply (`last_reply_at`), a STOP included."""
    payload: SmsInboundV1 = event.payload
    await engagement_service.record_reply(
        ctx.session, ctx.outbox, event.workspace_id, payload.phone, payload.received_at
    )


async def on_link_clicked(event: Envelope[Any], ctx: HandlerContext) -> None:
    """A person's click moves `last_click_at`; a bot's (link preview, scanner) is no one's,
    and a click without a contact id (a message sent to no contact) belongs to no contact."""
    payload: LinkClickedV1 = event.payload
    if payload.bot or payload.contact_id is None:
        return
    await engagement_service.record_click(
        ctx.session, ctx.outbox, event.workspace_id, payload.contact_id, payload.clicked_at
    )


async def on_sms_delivered(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Only a final undeliverable receipt matters here (domain/reachability.py)."""
    payload: SmsDeliveredV1 = event.payload
    await engagement_service.record_delivery_failure(
        ctx.session,
        ctx.outbox,
        event.workspace_id,
        payload.phone,
        payload.contact_id,
        payload.status,
        payload.final,
        payload.error_code,
        payload.reported_at,
    )


async def on_sms_failed(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsFailedV1 = event.payload
    await engagement_service.record_send_failure(
        ctx.session,
        ctx.outbox,
        event.workspace_id,
        payload.phone,
        payload.error_code,
        payload.reason,
        payload.failed_at,
    )
