"""Which topics the campaigns consumer reads, in which consumer groups.

Separate groups, so a burst of consent changes never delays launches (and the reverse),
and erasures wait for neither."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_campaigns.events import handlers
from herald_kit.consumer import Subscription


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "campaigns.consent": [
            Subscription(
                "consent.changed",
                handlers.on_consent_changed,
                handle_many=handlers.on_consents_changed,
            )
        ],
        "campaigns.scheduled": [Subscription("campaign.scheduled", handlers.on_campaign_scheduled)],
        "campaigns.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
    }
