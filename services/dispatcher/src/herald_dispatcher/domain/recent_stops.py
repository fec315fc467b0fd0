"""STOPs the sender read on its own bind, remembered until the gate can no longer miss them.

The early STOP (early_stop.py) commits with the MO, and every claim after that commit sees
the opt-out. A claim that ran before it passed the gate, and its messages may still wait for
the route's rate limiter when the STOP arrives. The sender therefore remembers each keyword
STOP the moment its deliver_sm is read, and asks right before a message's first PDU leaves
whether its claim may have missed one: the claim began before the STOP's commit finished, or
the STOP is not committed yet. Such a message goes back to the queue and the next claim's
gate decides it from the database (sms.suppressed, reason opted_out).

Messages claimed after the commit are the gate's alone: a START that lifts the opt-out later
is never overruled by what is remembered here. Pure: the caller passes monotonic times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

KEEP_COMMITTED_S: Final = 300.0  # longer than any claim waits for its submit
KEEP_UNCOMMITTED_S: Final = 600.0  # the SMSC re-sends an unanswered MO well before this


@dataclass
class _Stop:
    heard_at: float
    committed_at: float | None = None


class RecentStops:
    def __init__(
        self,
        keep_committed_s: float = KEEP_COMMITTED_S,
        keep_uncommitted_s: float = KEEP_UNCOMMITTED_S,
    ) -> None:
        self._stops: dict[tuple[str, str], _Stop] = {}
        self._keep_committed_s = keep_committed_s
        self._keep_uncommitted_s = keep_uncommitted_s

    def __len__(self) -> int:
        return len(self._stops)

    def heard(self, workspace_id: str, phone: str, at: float) -> None:
        """A STOP from `phone` was read; it is not in the database until `committed`."""
        self._stops[(workspace_id, phone)] = _Stop(heard_at=at)

    def committed(self, keys: list[tuple[str, str]], at: float) -> None:
        """The transaction holding these STOPs committed at `at` (after COMMIT returned)."""
        for key in keys:
            stop = self._stops.get(key)
            if stop is not None and stop.heard_at <= at:
                stop.committed_at = at

    def withholds(self, workspace_id: str, phone: str, claimed_at: float) -> bool:
        """Whether a message to `phone` claimed at `claimed_at` (its claim's transaction
        began then) may have passed the gate without seeing a STOP."""
        stop = self._stops.get((workspace_id, phone))
        if stop is None:
            return False
        return stop.committed_at is None or stop.committed_at >= claimed_at

    def prune(self, now: float) -> None:
        """Forget STOPs every claim still in flight has seen (or that never committed)."""
        for key, stop in list(self._stops.items()):
            if stop.committed_at is not None:
                if now - stop.committed_at > self._keep_committed_s:
                    del self._stops[key]
            elif now - stop.heard_at > self._keep_uncommitted_s:
                del self._stops[key]
