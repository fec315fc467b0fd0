"""Frequency caps: at most N messages of a category to one contact in any rolling window.

Pure: the caller passes the contact's previous sends (time, category, subject) and gets a
RuleDecision. Windows are rolling and measured in real time (24 h is 24 hours, across a DST
change too): a cap of N per W is met at `now` when fewer than N counted sends fall in
(now - W, now]. When it is not, the earliest time it is met is when enough of the oldest
counted sends have left the window; sends dated after `now` (clocks of two replicas) count
as sent at `now`.

Priorities. A cap is hard (a law, e.g. Florida's 3 per 24 h on the same subject; the
default) or soft (a marketing budget, e.g. 4 promotional SMS per 30 days). A `high`
priority message (a confirmation the contact is waiting for, an abandoned cart) goes
through soft caps, never through hard ones; it still counts for later messages.
`normal` and `low` messages respect every cap (`low` exists so campaigns can say it, and
for later rules that drop low messages first).

Policy per campaign: `postpone` holds a capped message until the earliest time every cap
allows it, `skip` denies it with the cap that stopped it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from herald_compliance.decisions import RuleDecision, allowed, denied, held, require_aware

Priority = Literal["low", "normal", "high"]
CapPolicy = Literal["postpone", "skip"]
ANY_CATEGORY: Final = "*"
VERSION: Final = "1"


@dataclass(frozen=True)
class Cap:
    """At most `limit` messages of `category` ('*' = every category) per rolling `window`;
    with `same_subject`, only messages on the message's subject count (a message or a past
    send without a subject counts as the same subject: the safe reading)."""

    category: str
    limit: int
    window: timedelta
    same_subject: bool = False
    hard: bool = True
    label: str = ""

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a cap's limit must be at least 1 (to block a category, deny it)")
        if self.window <= timedelta(0):
            raise ValueError("a cap's window must be positive")

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        subject = " on the same subject" if self.same_subject else ""
        return f"{self.category} ≤ {self.limit} per {_describe(self.window)}{subject}"

    def applies_to(self, category: str) -> bool:
        return self.category in (ANY_CATEGORY, category)


@dataclass(frozen=True)
class PreviousSend:
    at: datetime
    category: str
    subject: str | None = None


def _describe(window: timedelta) -> str:
    if window % timedelta(days=1) == timedelta(0):
        return f"{window.days} days" if window.days != 1 else "24 h"
    if window % timedelta(hours=1) == timedelta(0):
        return f"{window // timedelta(hours=1)} h"
    return f"{window // timedelta(minutes=1)} min"


def _counted(
    cap: Cap, category: str, subject: str | None, history: Iterable[PreviousSend]
) -> list[datetime]:
    def same_subject(send: PreviousSend) -> bool:
        return not cap.same_subject or None in (subject, send.subject) or send.subject == subject

    return [s.at for s in history if cap.applies_to(s.category) and same_subject(s)]


def cap_opens_at(
    cap: Cap,
    category: str,
    history: Sequence[PreviousSend],
    now: datetime,
    subject: str | None = None,
) -> datetime:
    """The earliest instant ≥ `now` at which `cap` lets one more message of `category` go."""
    times = sorted(min(at, now) for at in _counted(cap, category, subject, history))
    recent = [at for at in times if at > now - cap.window]
    excess = len(recent) - cap.limit + 1
    if excess <= 0:
        return now
    # The `excess` oldest recent sends must leave (now - window, now]: the last of them
    # leaves when now - window reaches it.
    return recent[excess - 1] + cap.window


def check_caps(
    caps: Iterable[Cap],
    category: str,
    history: Sequence[PreviousSend],
    now: datetime,
    *,
    subject: str | None = None,
    priority: Priority = "normal",
    policy: CapPolicy = "postpone",
    rule: str = "frequency caps",
    version: str = VERSION,
) -> RuleDecision:
    """Allowed when every cap that applies to `category` (and binds at this priority) is
    met at `now`; otherwise held until all are (postpone) or denied (skip)."""
    require_aware(now)
    binding = [cap for cap in caps if cap.applies_to(category) and (cap.hard or priority != "high")]
    blocked = [
        (opens, cap)
        for cap in binding
        if (opens := cap_opens_at(cap, category, history, now, subject)) > now
    ]
    if not blocked:
        return allowed(rule, version, f"within the frequency caps of {category} messages")
    until = max(opens for opens, _ in blocked)
    names = "; ".join(c.name for _, c in blocked)
    if policy == "skip":
        return denied(rule, version, f"frequency cap reached ({names}); the campaign skips")
    return held(rule, version, f"frequency cap reached ({names}); postponed", until)
