"""Delivery receipts: the provider id, status and error of a `deliver_sm` receipt.

Two sources, often both present: the de-facto receipt text of SMPP 3.4 Appendix B
(`id:... sub:001 dlvrd:001 submit date:... done date:... stat:DELIVRD err:000 text:...`)
and the TLVs `receipted_message_id`, `message_state`, `network_error_code`. The TLVs are
exact where the text is free-form, so they win; the text fills what they lack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

ESM_DELIVERY_RECEIPT: Final = 0x04

# message_state (SMPP 3.4 §5.2.28) as the receipt text spells it.
MESSAGE_STATES: Final = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

_TEXT_FIELD = re.compile(r"(?i)\btext:")
_FIELDS = {
    "id": re.compile(r"(?i)(?:^|\s)id:(\S+)"),
    "stat": re.compile(r"(?i)(?:^|\s)stat:(\S+)"),
    "err": re.compile(r"(?i)(?:^|\s)err:(\S+)"),
}


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None
    status: str | None
    error_code: str | None


def is_delivery_receipt(esm_class: int) -> bool:
    return bool(esm_class & ESM_DELIVERY_RECEIPT)


def _text_fields(text: str) -> dict[str, str]:
    head = _TEXT_FIELD.split(text, maxsplit=1)[0]  # `text:` quotes the message: skip it
    found: dict[str, str] = {}
    for name, pattern in _FIELDS.items():
        match = pattern.search(head)
        if match:
            found[name] = match.group(1)
    return found


def _c_string(value: bytes | None) -> str | None:
    if not value:
        return None
    text = value.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()
    return text or None


def parse_receipt(
    text: str,
    *,
    receipted_message_id: bytes | None = None,
    message_state: bytes | None = None,
    network_error_code: bytes | None = None,
) -> Receipt:
    """The receipt's facts; any of them may be None when neither source carries it."""
    fields = _text_fields(text)
    provider_id = _c_string(receipted_message_id) or fields.get("id")
    status = fields.get("stat")
    if message_state:
        status = MESSAGE_STATES.get(message_state[0], status)
    error = fields.get("err")
    if network_error_code is not None and len(network_error_code) == 3 and error is None:
        error = f"{int.from_bytes(network_error_code[1:], 'big'):03d}"
    return Receipt(
        provider_message_id=provider_id,
        status=status.upper() if status else None,
        error_code=error,
    )
