"""What a sending rule answers for one message: allowed now, held until T, or denied.

Shared by the rule packs (hours, days, holidays) and the frequency caps, so the dispatcher
stores one kind of record per message: which rule decided (`rule`, `version`), why, and for
a held message the instant (UTC) it may be looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Outcome = Literal["allowed", "held", "denied"]


@dataclass(frozen=True)
class RuleDecision:
    outcome: Outcome
    reason: str
    rule: str  # a rule pack's name (`FR-strict`) or a cap's name
    version: str
    held_until: datetime | None = None  # set exactly when held; timezone-aware, UTC

    def __post_init__(self) -> None:
        if (self.outcome == "held") != (self.held_until is not None):
            raise ValueError("held_until is set exactly when the outcome is held")
        if self.held_until is not None and self.held_until.utcoffset() is None:
            raise ValueError("held_until must be timezone-aware")

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"

    @property
    def held(self) -> bool:
        return self.outcome == "held"

    @property
    def denied(self) -> bool:
        return self.outcome == "denied"


def allowed(rule: str, version: str, reason: str) -> RuleDecision:
    return RuleDecision("allowed", reason, rule, version)


def held(rule: str, version: str, reason: str, until: datetime) -> RuleDecision:
    return RuleDecision("held", reason, rule, version, until.astimezone(UTC))


def denied(rule: str, version: str, reason: str) -> RuleDecision:
    return RuleDecision("denied", reason, rule, version)


def require_aware(now: datetime, name: str = "now") -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return now
