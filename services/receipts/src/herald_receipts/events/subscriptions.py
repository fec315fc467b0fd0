"""Which topics the receipts consumer reads, in which consumer groups.

Two groups. One group would not order a receipt after its submission anyway: the topics
are keyed differently (`sms.submitted` by message id, `gateway.inbound` by provider id),
so the two records sit in unrelated partitions. Correlation rests instead on parking
(a receipt with no known submission waits in `parked_receipt`, replayed when the
submission arrives) and on a transaction-scoped advisory lock per (route, provider id)
that both handlers take, so the two can never miss each other. Separate groups also keep
a backlog of submissions from delaying handsets' STOPs, which travel on `gateway.inbound`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_kit.consumer import Subscription
from herald_receipts.events import handlers


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "receipts.submissions": [Subscription("sms.submitted", handlers.on_sms_submitted)],
        "receipts.gateway": [Subscription("gateway.inbound", handlers.on_gateway_inbound)],
        "receipts.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
    }
