"""Which topics the contacts consumer reads, in which consumer groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_contacts.events import handlers
from herald_kit.consumer import Subscription


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "contacts.commerce": [Subscription("commerce.events", handlers.on_commerce_event)],
        "contacts.engagement": [
            Subscription("sms.inbound", handlers.on_sms_inbound),
            Subscription("sms.failed", handlers.on_sms_failed),
            Subscription("sms.delivered", handlers.on_sms_delivered),
            Subscription("link.clicked", handlers.on_link_clicked),
        ],
    }
