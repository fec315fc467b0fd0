"""When a message that consent lets through may leave: sending hours and frequency caps.

Pure. The sender runs it after the consent gate (herald_compliance.gate), on facts read in
the claim's transaction: the recipient (from the number), the workspace's rules and the
contact's previous sends from the ledger. The answer is one of:
- send now;
- hold until T (stored as `held`, released by the sender's sweeper, then decided again);
- suppress, with a SuppressionReason value: a pack that never opens for the recipient or
  a hold that would end after the message expires (`outside_sending_hours`,
  `frequency_cap`), or a cap under the campaign's `skip` policy (`frequency_cap`).

Transactional messages are exempt from the hours (the packs say so), never from consent,
which the gate decided before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from herald_compliance.decisions import RuleDecision
from herald_compliance.frequency_caps import Cap, CapPolicy, PreviousSend, Priority
from herald_compliance.rule_packs import Recipient, RulePack, pack_for
from herald_compliance.send_rules import decide_send

OUTSIDE_SENDING_HOURS: Final = "outside_sending_hours"
FREQUENCY_CAP: Final = "frequency_cap"
_CAP_REASON: Final = "frequency cap"  # how herald_compliance's cap decisions begin


@dataclass(frozen=True)
class RuleSet:
    """A workspace's rules, built: packs in the order they are tried, and caps."""

    packs: tuple[RulePack, ...]
    caps: tuple[Cap, ...] = ()

    def pack_for(self, country: str, fallback: RuleSet | None = None) -> RulePack | None:
        """The first of the packs covering `country`, else the first of `fallback`'s."""
        chosen = pack_for(country, self.packs)
        if chosen is None and fallback is not None:
            chosen = pack_for(country, fallback.packs)
        return chosen


@dataclass(frozen=True)
class MessageFacts:
    category: str
    expires_at: datetime
    priority: Priority = "normal"
    subject: str | None = None  # the campaign: same-subject caps count its messages
    cap_policy: CapPolicy = "postpone"


@dataclass(frozen=True)
class Verdict:
    outcome: Literal["send", "hold", "suppress"]
    reason: str | None = None  # SuppressionReason value (suppress) or the hold's kind
    held_until: datetime | None = None
    rule: str | None = None  # "FR-strict v1", or the cap's rule
    detail: str | None = None  # the rule's own words, for the ledger and sms.suppressed


def _kind(decision: RuleDecision, chosen: RulePack) -> str:
    if decision.rule != chosen.name or decision.reason.startswith(_CAP_REASON):
        return FREQUENCY_CAP
    return OUTSIDE_SENDING_HOURS


def apply_sending_rules(
    rules: RuleSet,
    message: MessageFacts,
    recipient: Recipient,
    now: datetime,
    history: Sequence[PreviousSend] = (),
    *,
    fallback: RuleSet | None = None,
) -> Verdict:
    """The verdict for one message at `now`; `fallback` gives the deployment's packs for a
    country none of the workspace's packs covers."""
    chosen = rules.pack_for(recipient.country, fallback)
    if chosen is None:
        return Verdict(
            "suppress",
            OUTSIDE_SENDING_HOURS,
            detail=f"no configured rule pack covers recipients in {recipient.country}",
        )
    decision = decide_send(
        chosen,
        message.category,
        recipient,
        now,
        caps=rules.caps,
        history=history,
        subject=message.subject,
        priority=message.priority,
        policy=message.cap_policy,
    )
    rule = f"{decision.rule} v{decision.version}"
    if decision.allowed:
        return Verdict("send", rule=rule)
    kind = _kind(decision, chosen)
    if decision.denied:
        return Verdict("suppress", kind, rule=rule, detail=decision.reason)
    until = decision.held_until
    assert until is not None  # held decisions always carry it
    if until >= message.expires_at:
        return Verdict(
            "suppress",
            kind,
            rule=rule,
            detail=(
                f"held until {until.isoformat()}, after the message expires at "
                f"{message.expires_at.isoformat()}: {decision.reason}"
            ),
        )
    return Verdict("hold", kind, held_until=until, rule=rule, detail=decision.reason)
