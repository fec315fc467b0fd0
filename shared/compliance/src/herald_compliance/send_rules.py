"""Hours and frequency caps together: the first instant every sending rule allows.

The rule pack's window and the caps (the workspace's, plus those the pack's law adds, such
as Florida's) each give the earliest instant they allow; the answer is the first instant
all allow at once. Caps only loosen as time passes (no new send happens while a message is
held), so moving to the latest of the answers and asking again converges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from herald_compliance.decisions import RuleDecision, allowed, held, require_aware
from herald_compliance.frequency_caps import Cap, CapPolicy, PreviousSend, Priority, check_caps
from herald_compliance.rule_packs.packs import RulePack, evaluate
from herald_compliance.rule_packs.recipient import Recipient

_MAX_ROUNDS = 50


def decide_send(
    pack: RulePack,
    category: str,
    recipient: Recipient,
    now: datetime,
    *,
    caps: Sequence[Cap] = (),
    history: Sequence[PreviousSend] = (),
    subject: str | None = None,
    priority: Priority = "normal",
    policy: CapPolicy = "postpone",
) -> RuleDecision:
    """Allowed at `now`, held until the first instant the window and every cap allow, or
    denied (by the pack, or by a cap under the `skip` policy). A held message is decided
    again when released: consent and new sends may have changed."""
    require_aware(now)
    legal_caps = pack.caps_for(recipient, category)
    at = now
    first_hold: RuleDecision | None = None
    for _ in range(_MAX_ROUNDS):
        decisions = [evaluate(pack, category, recipient, at)]
        when = decisions[0].held_until or at
        if not decisions[0].denied:
            decisions.append(
                check_caps(
                    legal_caps,
                    category,
                    history,
                    when,
                    subject=subject,
                    policy=policy,
                    rule=pack.name,
                    version=pack.version,
                )
            )
            decisions.append(
                check_caps(
                    caps,
                    category,
                    history,
                    when,
                    subject=subject,
                    priority=priority,
                    policy=policy,
                )
            )
        for decision in decisions:
            if decision.denied:
                return decision
            if decision.held and first_hold is None:
                first_hold = decision
        latest = max((d.held_until or at for d in decisions), default=at)
        if latest == at:
            if first_hold is None:
                return allowed(pack.name, pack.version, decisions[0].reason)
            return held(first_hold.rule, first_hold.version, first_hold.reason, at)
        at = latest
    raise RuntimeError("sending rules did not converge")  # pragma: no cover - caps loosen
