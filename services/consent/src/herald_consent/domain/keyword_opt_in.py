"""What an opt-in keyword (START, UNSTOP) may restore: pure rules, no IO.

START lifts an opt-out; it is never a consent of its own. For each purpose, on the key the
keyword covers ((purpose, '*') for a global START, (purpose, brand) for a brand one), and
only when that key is opted out now:

- transactional: the opt-out is lifted (an opt-in entry). Transactional messages need no
  opt-in (herald_compliance.gate), so `opted_in` there only means "not opted out".
- marketing: the key goes back to what it was before the opt-out, read from its ledger
  history: an opt-in before the run of opt-outs that ended it is restored; a key that was
  never opted in stays opted out. START cannot give marketing consent the person never gave.

An erased number's history before the erasure no longer counts (its opt-ins were dropped:
asked again when it comes back), so a START then lifts transactional opt-outs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from herald_consent.domain.ledger import Purpose

OPT_IN: Final = "opt_in"
OPT_OUT: Final = "opt_out"


def restores(purpose: Purpose, opted_out_now: bool, history: Sequence[str]) -> bool:
    """Whether a START lifts the key's opt-out. `history`: the key's actions, oldest first."""
    if not opted_out_now:
        return False
    if purpose == "transactional":
        return True
    actions = list(history)
    while actions and actions[-1] == OPT_OUT:
        actions.pop()
    return bool(actions) and actions[-1] == OPT_IN
