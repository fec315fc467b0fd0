"""What a ledger entry does to the consent state: pure rules, no IO.

The ledger is append-only: every request and every STOP is a line of evidence. The state
per (phone, purpose, brand) only moves when the status it holds changes (the repository's
upsert applies that rule atomically), and only such a move is announced on `consent.changed`.
"""

from __future__ import annotations

from typing import Final, Literal

Purpose = Literal["marketing", "transactional"]
Action = Literal["opt_in", "opt_out"]
Status = Literal["opted_in", "opted_out"]

PURPOSES: Final[tuple[Purpose, ...]] = ("marketing", "transactional")
ALL_PURPOSES: Final = "all"
ALL_BRANDS: Final = "*"
DEFAULT_BRAND: Final = "default"

_STATUS_AFTER: Final[dict[Action, Status]] = {"opt_in": "opted_in", "opt_out": "opted_out"}


def status_after(action: Action) -> Status:
    """The status an entry leaves behind."""
    return _STATUS_AFTER[action]


def purpose_of(value: str) -> Purpose:
    for known in PURPOSES:
        if value == known:
            return known
    raise ValueError(f"unknown purpose {value!r}")


def optout_purposes(purpose: str) -> tuple[Purpose, ...]:
    """`all` stops both purposes; a named purpose stops only itself."""
    if purpose == ALL_PURPOSES:
        return PURPOSES
    return (purpose_of(purpose),)


def optout_brand(scope: str, brand: str) -> str:
    """A global opt-out (a STOP keyword) covers every brand ('*'); a brand one covers its own."""
    return ALL_BRANDS if scope == "global" else brand
