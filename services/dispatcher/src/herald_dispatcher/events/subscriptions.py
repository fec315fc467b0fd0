"""Which topics the dispatcher consumer reads, in which consumer groups.

Suppression has a group of its own so that a STOP is applied at once, even while a large
campaign's requests queue up in `dispatcher.requests`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_dispatcher.events import handlers
from herald_kit.consumer import Subscription


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "dispatcher.requests": [Subscription("sms.requested", handlers.on_sms_requested)],
        "dispatcher.suppression": [
            Subscription("consent.changed", handlers.on_consent_changed),
            Subscription("optout.received", handlers.on_optout_received),
        ],
        "dispatcher.campaigns": [Subscription("campaign.updated", handlers.on_campaign_updated)],
        "dispatcher.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
    }
