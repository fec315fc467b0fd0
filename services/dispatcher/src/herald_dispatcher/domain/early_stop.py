"""A handset's STOP applied the moment the dispatcher stores it (pure: no IO).

A STOP normally travels MO → `gateway.inbound` → receipts → `optout.received` → the
dispatcher's projection: four hops, each a relay and a consumer, which a running campaign on a
small machine stretches to seconds (bench/stop_latency.py). The dispatcher receives the MO
itself, so it reads it with the same engine (herald_compliance.optout) and suppresses the
number in the transaction that stores it. Only an unambiguous keyword opt-out in global scope
counts here: phrases (a policy may send them to review) and brand scopes stay receipts' call,
whose `optout.received` arrives later and sets the same rows (same time: idempotent).
"""

from __future__ import annotations

from typing import Final

from herald_compliance.optout import evaluate
from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind

_KEYWORD_RULES: Final = frozenset({"keyword", "keyword_courteous", "keyword_leading"})


def early_stop_phone(event: GatewayInboundV1, default_region: str) -> str | None:
    """The E.164 number whose message is a keyword STOP (global scope), else None."""
    if event.kind != InboundKind.MOBILE_ORIGINATED or not event.text:
        return None
    result = evaluate(event.text, destination=event.destination)
    if result.kind != "opt_out" or result.rule not in _KEYWORD_RULES:
        return None
    if result.scope != "global":
        return None
    try:
        return normalise_phone(event.source, default_region, missing_plus=True).e164
    except InvalidPhone:
        return None
