"""Handlers: each applies one event inside the runner's transaction."""

from __future__ import annotations

from typing import Any

from herald_consent import declared, erasure, service
from herald_events import Envelope
from herald_events.models.contacts import ConsentDeclaredV1, ContactErasedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import HandlerContext


async def on_optout_received(event: Envelope[Any], ctx: HandlerContext) -> None:
    """A STOP keyword (or another channel's opt-out) becomes opt-out entries in the ledger."""
    payload: OptoutReceivedV1 = event.payload
    await service.record_optout_event(
        ctx.session,
        ctx.outbox,
        event.workspace_id,
        payload,
        event.event_id,
        ctx.caused_by(),
        event.producer,
    )


async def on_contact_erased(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Keep only the pseudonymised proof of the number's opt-outs (herald_consent.erasure)."""
    payload: ContactErasedV1 = event.payload
    await erasure.forget_number(ctx.session, event.workspace_id, payload.phone)


async def on_consent_declared(event: Envelope[Any], ctx: HandlerContext) -> None:
    """An import's declared opt-in becomes evidence in the ledger (herald_consent.declared)."""
    payload: ConsentDeclaredV1 = event.payload
    await declared.record_declared_consent(
        ctx.session,
        ctx.outbox,
        event.workspace_id,
        payload,
        event.event_id,
        ctx.caused_by(),
        event.producer,
    )
