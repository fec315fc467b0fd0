"""Which topics the analytics consumer reads, in which consumer groups.

`analytics.campaigns` builds campaign_summary and message_fact; `analytics.engagement`
counts inbound messages and opt-outs per day. Two groups, so a backlog of message events
never delays the engagement counters (and the reverse).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_analytics.events import handlers
from herald_kit.consumer import Subscription

CAMPAIGNS_GROUP = "analytics.campaigns"
ENGAGEMENT_GROUP = "analytics.engagement"


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        CAMPAIGNS_GROUP: [
            Subscription("campaign.scheduled", handlers.on_campaign_scheduled),
            Subscription("campaign.updated", handlers.on_campaign_updated),
            Subscription(
                "sms.requested",
                handlers.on_sms_requested,
                handle_many=handlers.on_sms_requested_many,
            ),
            Subscription(
                "sms.submitted",
                handlers.on_sms_submitted,
                handle_many=handlers.on_sms_submitted_many,
            ),
            Subscription("sms.suppressed", handlers.on_sms_suppressed),
            Subscription("sms.failed", handlers.on_sms_failed),
            Subscription("sms.delivered", handlers.on_sms_delivered),
        ],
        ENGAGEMENT_GROUP: [
            Subscription("sms.inbound", handlers.on_sms_inbound),
            Subscription("optout.received", handlers.on_optout_received),
        ],
    }
