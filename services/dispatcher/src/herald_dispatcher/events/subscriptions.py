"""Which topics the dispatcher consumer reads, in which consumer groups.

Suppression has a group of its own so that a STOP is applied at once, even while a large
campaign's requests queue up in `dispatcher.requests`. For the same reason high-priority
requests (the one reply to a STOP, help replies, double opt-in confirmations, urgent
campaigns) have a lane of their own on `sms.requested`: `dispatcher.urgent` takes them into
the ledger at once, where the sender already serves them first; `dispatcher.requests` the
rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from herald_dispatcher.events import handlers
from herald_events import Envelope
from herald_events.models.campaigns import SmsPriority
from herald_kit.consumer import Subscription


def _urgent(event: Envelope[Any]) -> bool:
    return bool(event.payload.priority == SmsPriority.HIGH)


def _not_urgent(event: Envelope[Any]) -> bool:
    return not _urgent(event)


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "dispatcher.requests": [
            Subscription(
                "sms.requested",
                handlers.on_sms_requested,
                accepts=_not_urgent,
                handle_many=handlers.on_sms_requested_many,
            )
        ],
        "dispatcher.urgent": [
            Subscription(
                "sms.requested",
                handlers.on_sms_requested,
                accepts=_urgent,
                handle_many=handlers.on_sms_requested_many,
            )
        ],
        "dispatcher.suppression": [
            Subscription(
                "consent.changed",
                handlers.on_consent_changed,
                handle_many=handlers.on_consents_changed,
            ),
            Subscription("optout.received", handlers.on_optout_received),
        ],
        "dispatcher.campaigns": [Subscription("campaign.updated", handlers.on_campaign_updated)],
        "dispatcher.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
    }
