"""Keyed pseudonyms of phone numbers: what an erased person's opt-out is remembered by.

After an erasure (GDPR Art. 17) a service may keep only what it needs to keep honouring an
opt-out (Art. 17(3)(b), 21(3)). It keeps an HMAC-SHA256 of the number under a secret key
instead of the number: the same number always gives the same pseudonym, so an opt-out is
found again when the number comes back, but the pseudonym alone cannot be turned back into
the number (an unkeyed hash could, by trying the few billion numbers of a country).

The workspace is part of the MAC input, so one number gives unrelated pseudonyms in two
workspaces. Pure: no IO, no settings; the caller passes the key (services read it with
herald_kit.settings.ErasureSettings, which also sets its minimum length).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

PREFIX: Final = "hmac-sha256:"


def phone_pseudonym(key: bytes, workspace_id: str, phone: str) -> str:
    """`hmac-sha256:<64 hex>` for an E.164 number in a workspace."""
    mac = hmac.new(key, f"{workspace_id}\x00{phone}".encode(), hashlib.sha256)
    return PREFIX + mac.hexdigest()


def is_pseudonym(value: str) -> bool:
    """True for a value `phone_pseudonym` produced (never true for an E.164 number)."""
    return value.startswith(PREFIX)
