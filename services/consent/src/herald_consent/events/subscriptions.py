"""Which topics the consent consumer reads, in which consumer groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herald_consent.events import handlers
from herald_kit.consumer import Subscription


def groups() -> Mapping[str, Sequence[Subscription]]:
    return {
        "consent.optouts": [Subscription("optout.received", handlers.on_optout_received)],
        "consent.erasure": [Subscription("contact.erased", handlers.on_contact_erased)],
        "consent.imports": [
            Subscription(
                "consent.declared",
                handlers.on_consent_declared,
                handle_many=handlers.on_consents_declared,
            )
        ],
        "consent.inbound": [Subscription("sms.inbound", handlers.on_sms_inbound)],
    }
