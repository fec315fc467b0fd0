"""Which send failures say the number itself cannot be reached.

`sms.failed` also reports failures that have nothing to do with the number (a message too
long, a route down until retries ran out); marking a contact unreachable for those would
silently shrink every later audience. Only the SMPP statuses that reject the destination
address count.

`sms.delivered` counts when the operator's final word is `undelivered` or `rejected`: the
network tried the number and gave up. `expired` does not (a handset switched off for the
validity period is still a good number), nor does a final `unknown` (the SMSC dropped the
message, which says nothing of the handset).
"""

from __future__ import annotations

from typing import Final

# ESME_RINVDSTADR, ESME_RINVDSTTON, ESME_RINVDSTNPI (SMPP 3.4, section 5.1.3)
DESTINATION_STATUSES: Final = frozenset({0x0000000B, 0x00000050, 0x00000051})
RETRIES_EXHAUSTED: Final = "retries exhausted"
UNDELIVERABLE_STATUSES: Final = frozenset({"undelivered", "rejected"})


def unreachable_reason(error_code: str, reason: str) -> str | None:
    """Why the number is unreachable, as stored on the contact; None when the failure does
    not tell anything about the number."""
    if reason.startswith(RETRIES_EXHAUSTED):
        return None
    try:
        status = int(error_code, 16)
    except ValueError:
        return None
    if status not in DESTINATION_STATUSES:
        return None
    return f"sms.failed {error_code}: {reason}"[:500]


def undelivered_reason(status: str, final: bool, error_code: str | None) -> str | None:
    """Why the number is unreachable after a delivery receipt; None when the receipt does
    not condemn the number."""
    if not final or status not in UNDELIVERABLE_STATUSES:
        return None
    if error_code:
        return f"sms.delivered {status}: error {error_code}"[:500]
    return f"sms.delivered {status}"
