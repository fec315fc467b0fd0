"""Handlers: each applies one event (a `*_many` one, a run of events) inside the runner's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from herald_consent import declared, double_opt_in, erasure, keyword_opt_in, service
from herald_events import Envelope
from herald_events.models.contacts import ConsentDeclaredV1, ContactErasedV1
from herald_events.models.receipts import KeywordKind, OptoutReceivedV1, SmsInboundV1
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


async def on_consents_declared(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of an import's declarations at once, with the same result."""
    await declared.record_declared_consents(ctx.session, ctx.outbox, events)


async def on_sms_inbound(event: Envelope[Any], ctx: HandlerContext) -> None:
    """A handset's message: START lifts an opt-out (herald_consent.keyword_opt_in); an
    ordinary message may confirm a double opt-in (herald_consent.double_opt_in)."""
    payload: SmsInboundV1 = event.payload
    if payload.keyword == KeywordKind.OPT_IN:
        await keyword_opt_in.record_keyword_opt_in(
            ctx.session,
            ctx.outbox,
            event.workspace_id,
            payload,
            event.event_id,
            ctx.caused_by(),
            event.producer,
        )
    elif payload.keyword == KeywordKind.NONE and not payload.review:
        await double_opt_in.confirm_by_reply(
            ctx.session, ctx.outbox, event.workspace_id, payload, event.event_id, ctx.caused_by()
        )
