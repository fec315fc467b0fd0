"""Handlers: each applies one event (a `*_many` one, a run of events) inside the runner's
transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from herald_campaigns import erasure, service
from herald_events import Envelope
from herald_events.models.campaigns import CampaignScheduledV1
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.contacts import ContactErasedV1
from herald_kit.consumer import HandlerContext


async def on_consent_changed(event: Envelope[Any], ctx: HandlerContext) -> None:
    """Keep the consent projection that expansion filters the audience with."""
    payload: ConsentChangedV1 = event.payload
    await service.record_consent(ctx.session, event.workspace_id, payload)


async def on_consents_changed(events: Sequence[Envelope[Any]], ctx: HandlerContext) -> None:
    """A run of consent changes (an import's, say) in one statement."""
    await service.record_consents(ctx.session, [(e.workspace_id, e.payload) for e in events])


async def on_campaign_scheduled(event: Envelope[Any], ctx: HandlerContext) -> None:
    """A launched campaign has its expansion job (restored if it went missing)."""
    payload: CampaignScheduledV1 = event.payload
    await service.ensure_expansion(ctx.session, event.workspace_id, payload)


async def on_contact_erased(event: Envelope[Any], ctx: HandlerContext) -> None:
    """The contact was erased: forget what the consent projection holds about the number."""
    payload: ContactErasedV1 = event.payload
    await erasure.forget_number(ctx.session, event.workspace_id, payload.phone)
