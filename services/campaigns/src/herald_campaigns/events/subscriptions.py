"""Which topics the campaigns consumer reads, in which consumer groups.

Two groups, so a burst of consent changes never delays launches (and the reverse)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_campaigns.events import handlers
from herald_kit.consumer import Subscription


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "campaigns.consent": [Subscription("consent.changed", handlers.on_consent_changed)],
        "campaigns.scheduled": [Subscription("campaign.scheduled", handlers.on_campaign_scheduled)],
    }
