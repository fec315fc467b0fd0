"""Handlers: each applies one event inside the runner's transaction."""

from __future__ import annotations

from typing import Any

from herald_consent import service
from herald_events import Envelope
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import HandlerContext


async def on_optout_received(event: Envelope[Any], ctx: HandlerContext) -> None:
    """A STOP keyword (or another channel's opt-out) becomes opt-out entries in the ledger."""
    payload: OptoutReceivedV1 = event.payload
    await service.record_optout_event(
        ctx.session, ctx.outbox, event.workspace_id, payload, event.event_id, ctx.caused_by()
    )
