"""Which topics the receipts consumer reads, in which consumer groups.

Two groups. One group would not order a receipt after its submission anyway: the topics
are keyed differently (`sms.submitted` by message id, `gateway.inbound` by provider id),
so the two records sit in unrelated partitions. Correlation rests instead on parking
(a receipt with no known submission waits in `parked_receipt`, replayed when the
submission arrives) and on a transaction-scoped advisory lock per (route, provider id)
that both handlers take, so the two can never miss each other. Separate groups also keep
a backlog of submissions from delaying handsets' STOPs, which travel on `gateway.inbound`.

`gateway.inbound` itself is read by two groups that split it: delivery receipts
(`receipts.gateway`) and handsets' messages (`receipts.handsets`). A campaign brings
receipts by the thousand; a STOP behind them would wait for all of them (bench/stop_latency.py
measured a minute), so handsets have a lane of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from herald_events import Envelope
from herald_events.models.dispatcher import InboundKind
from herald_kit.consumer import Subscription
from herald_receipts.events import handlers


def _receipt(event: Envelope[Any]) -> bool:
    return bool(event.payload.kind == InboundKind.DELIVERY_RECEIPT)


def _handset(event: Envelope[Any]) -> bool:
    return not _receipt(event)


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "receipts.submissions": [
            Subscription(
                "sms.submitted",
                handlers.on_sms_submitted,
                handle_many=handlers.on_sms_submitted_many,
            )
        ],
        "receipts.gateway": [
            Subscription(
                "gateway.inbound",
                handlers.on_gateway_inbound,
                accepts=_receipt,
                handle_many=handlers.on_receipts_many,
            )
        ],
        "receipts.handsets": [
            Subscription("gateway.inbound", handlers.on_gateway_inbound, accepts=_handset)
        ],
        "receipts.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
    }
