"""How the gate treats an erased number's kept opt-outs: pure rules, no IO.

An erased number's consent rows are gone; its opt-outs are kept under a keyed pseudonym.
When a message names the number again, each kept opt-out counts unless the number has a
newer fact of its own for the same purpose and brand (consent given after it came back):
the newest fact wins, as in the consent projection itself, and a tie goes to the opt-out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

OPTED_OUT: Final = "opted_out"

Key = tuple[str, str]  # (purpose, brand)


def with_kept_optouts(
    statuses: Mapping[Key, str],
    updated_at: Mapping[Key, datetime],
    kept_optouts: Iterable[tuple[str, str, datetime]],
) -> dict[Key, str]:
    """`statuses` (from the projection, with their `updated_at`) with the kept opt-outs
    `(purpose, brand, updated_at)` laid over them."""
    merged = dict(statuses)
    for purpose, brand, optout_at in kept_optouts:
        current_at = updated_at.get((purpose, brand))
        if current_at is None or current_at <= optout_at:
            merged[(purpose, brand)] = OPTED_OUT
    return merged
