"""Handlers: each applies one event (a `*_many` one, a run of events) inside the runner's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from herald_dispatcher import erasure, service
from herald_dispatcher.settings import get_erasure_settings
from herald_events import Envelope
from herald_events.models.campaigns import CampaignUpdatedV1, SmsRequestedV1
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import HandlerContext


async def on_sms_requested(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Queue the message; a re-sent request (same deterministic message_id) is a no-op."""
    request: SmsRequestedV1 = event.payload
    await service.request_sms(ctx.session, event.workspace_id, request, datetime.now(UTC))


async def on_sms_requested_many(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of requests (a campaign's) queued by one statement."""
    now = datetime.now(UTC)
    await service.request_sms_many(ctx.session, [(e.workspace_id, e.payload) for e in events], now)


async def on_consent_changed(event: Envelope[Any], ctx: HandlerContext) -> None:
    change: ConsentChangedV1 = event.payload
    await service.record_consent(ctx.session, event.workspace_id, change)


async def on_consents_changed(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of consent changes (an import's, say) in a statement per workspace."""
    await service.record_consents(ctx.session, [(e.workspace_id, e.payload) for e in events])


async def on_optout_received(event: Envelope[Any], ctx: HandlerContext) -> None:
    optout: OptoutReceivedV1 = event.payload
    await service.record_optout(ctx.session, event.workspace_id, optout)


async def on_campaign_updated(event: Envelope[Any], ctx: HandlerContext) -> None:
    update: CampaignUpdatedV1 = event.payload
    await service.record_campaign(ctx.session, event.workspace_id, update)


async def on_contact_erased(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Scrub the number from the ledger, keep its opt-outs keyed (herald_dispatcher.erasure)."""
    erased: ContactErasedV1 = event.payload
    key = get_erasure_settings().erasure.key.get_secret_value().encode()
    await erasure.forget_number(
        ctx.session, ctx.outbox, event.workspace_id, erased, key, datetime.now(UTC)
    )
