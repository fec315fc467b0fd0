"""Rule packs: when a message may reach a recipient (hours, days, holidays, per jurisdiction).

    from herald_compliance.rule_packs import pack, evaluate, recipient_for_phone
    decision = evaluate(pack("FR-strict"), "marketing", recipient_for_phone("+33612345678"), now)

See docs/compliance.md for the packs, their sources and how to choose one.
"""

from herald_compliance.decisions import RuleDecision
from herald_compliance.rule_packs.calendars import UnknownSubdivision
from herald_compliance.rule_packs.packs import (
    EXEMPT_FROM_HOURS,
    CountryDefaultPack,
    FrenchPack,
    RulePack,
    UsTcpaPack,
    evaluate,
)
from herald_compliance.rule_packs.recipient import Recipient, recipient_for_phone
from herald_compliance.rule_packs.registry import (
    DEFAULT_PACK,
    InvalidPackOptions,
    UnknownRulePack,
    known_packs,
    pack,
    pack_for,
)
from herald_compliance.rule_packs.windows import UnknownTimezone

__all__ = [
    "DEFAULT_PACK",
    "EXEMPT_FROM_HOURS",
    "CountryDefaultPack",
    "FrenchPack",
    "InvalidPackOptions",
    "Recipient",
    "RuleDecision",
    "RulePack",
    "UnknownRulePack",
    "UnknownSubdivision",
    "UnknownTimezone",
    "UsTcpaPack",
    "evaluate",
    "known_packs",
    "pack",
    "pack_for",
    "recipient_for_phone",
]
