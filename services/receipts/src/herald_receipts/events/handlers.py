"""Handlers: each applies one event (a `*_many` one, a run of events) inside the runner's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind, SmsSubmittedV1
from herald_kit.consumer import HandlerContext
from herald_receipts import erasure, service
from herald_receipts.settings import get_handler_settings


async def on_sms_submitted(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: SmsSubmittedV1 = event.payload
    await service.record_submission(
        ctx.session, ctx.outbox, event.workspace_id, payload, ctx.caused_by()
    )


async def on_sms_submitted_many(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of submissions (a campaign's) with a few statements."""
    await service.record_submissions(ctx.session, ctx.outbox, events)


async def on_receipts_many(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of delivery receipts (the `receipts.gateway` lane takes nothing else)."""
    await service.record_receipts(ctx.session, ctx.outbox, events)


async def on_gateway_inbound(event: Envelope[Any], ctx: HandlerContext) -> None:
    payload: GatewayInboundV1 = event.payload
    if payload.kind == InboundKind.DELIVERY_RECEIPT:
        await service.record_receipt(
            ctx.session, ctx.outbox, event.workspace_id, payload, event.event_id, ctx.caused_by()
        )
    else:
        settings = get_handler_settings()
        await service.record_mobile_originated(
            ctx.session,
            ctx.outbox,
            event.workspace_id,
            payload,
            event.event_id,
            ctx.caused_by(),
            settings.default_region,
            settings.optout,
        )


async def on_contact_erased(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Forget the number's inbound messages and the recipient of its deliveries
    (herald_receipts.erasure)."""
    payload: ContactErasedV1 = event.payload
    await erasure.forget_number(
        ctx.session,
        event.workspace_id,
        payload.phone,
        payload.contact_id,
        payload.erased_at,
        get_handler_settings().default_region,
    )
