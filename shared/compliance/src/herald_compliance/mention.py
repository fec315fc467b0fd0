"""The opt-out mention of promotional messages ("STOP au 36xxx"), counted in the length. Pure.

`with_optout_mention(text, country=..., short_code=...)` appends the country's mention to a
promotional text that lacks one and returns the final text with its segment count (after
the optional GSM-7 folding, see `herald_compliance.segments`). France requires the short code
("STOP au 36111": a mention without a number to reply to is useless there); elsewhere the
configured wording is used ("Reply STOP to opt out" by default), with `{short_code}` if the
template names it.

A text already carries a mention, and gets none added, when its normalised words hold:
- STOP (or STOP SMS), optionally AU / A / TO / AT, then a 4-6 digit number: `STOP au 36111`,
  `Stop 36111`, `STOP SMS au 36111`, `stop=36111`;
- a verb asking to send STOP: `Répondez STOP`, `reply STOP`, `text STOP`, `envoyez STOP`;
- STOP followed by TO/POUR and an opt-out word: `STOP to opt out`, `STOP pour vous désabonner`;
- the exact mention this function would add.
A bare "stop" in the copy ("Don't stop the party") is not a mention.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from herald_compliance.keywords import normalise
from herald_compliance.segments import SegmentInfo, analyse, fold_to_gsm7

DEFAULT_TEMPLATES: Final[Mapping[str, str]] = {
    "FR": "STOP au {short_code}",
    "*": "Reply STOP to opt out",
}
# Countries whose mention is meaningless without a short code to reply to (af2m: 5 digits).
SHORT_CODE_REQUIRED: Final[Mapping[str, re.Pattern[str]]] = {"FR": re.compile(r"\d{5}")}

_MENTION_PATTERNS: Final = (
    re.compile(r"\bSTOP( SMS)?( (AU|A|TO|AT))? \d{4,6}\b"),
    re.compile(
        r"\b(REPLY|REPLY WITH|TEXT|SEND|RESPOND|REPONDEZ|REPONDRE|REPONDS|ENVOYEZ|ENVOYER"
        r"|ENVOIE|TAPEZ|SMS) STOP\b"
    ),
    re.compile(
        r"\bSTOP (TO|POUR) (OPT OUT|OPTOUT|UNSUBSCRIBE|END|CANCEL|QUIT|STOP"
        r"|VOUS DESABONNER|VOUS DESINSCRIRE|NE PLUS|SE DESABONNER|SE DESINSCRIRE)\b"
    ),
)


class MentionError(ValueError):
    """The mention cannot be built (France without a short code, a bad template)."""


@dataclass(frozen=True)
class MentionPolicy:
    """Mention templates per ISO country ('*' for every other one) and the separator put
    between the text and the mention."""

    templates: Mapping[str, str] = field(default_factory=lambda: DEFAULT_TEMPLATES)
    separator: str = " "

    def __post_init__(self) -> None:
        if "*" not in self.templates:
            raise MentionError("templates: a '*' template (other countries) is required")
        for country, template in self.templates.items():
            try:
                template.format(short_code="36111")
            except (KeyError, IndexError, ValueError) as error:
                raise MentionError(
                    f"templates.{country}: only {{short_code}} may be used ({error})"
                ) from error


DEFAULT_MENTION_POLICY: Final = MentionPolicy()


@dataclass(frozen=True)
class MentionedText:
    """The text to send, whether a mention was added, and what it costs."""

    text: str
    added: bool
    segments: SegmentInfo


def mention_for(
    country: str, short_code: str | None, policy: MentionPolicy = DEFAULT_MENTION_POLICY
) -> str:
    """The mention for a country (ISO 3166 alpha-2), e.g. `STOP au 36111` for France."""
    country = country.upper()
    code = (short_code or "").strip()
    required = SHORT_CODE_REQUIRED.get(country)
    if required is not None and not required.fullmatch(code):
        raise MentionError(
            f"short_code: the {country} mention needs the workspace's short code "
            f"({required.pattern}), got {code!r}"
        )
    template = policy.templates.get(country, policy.templates["*"])
    if "{short_code}" in template and not code:
        template = policy.templates["*"]  # no number to name: the general wording
        if "{short_code}" in template:
            raise MentionError("short_code: required by the '*' mention template")
    return template.format(short_code=code)


def has_optout_mention(text: str, mention: str | None = None) -> bool:
    """Whether the text already tells how to opt out (see the module's docstring)."""
    normalised = normalise(text.replace("=", " "))
    if mention is not None and normalise(mention) and normalise(mention) in normalised:
        return True
    return any(pattern.search(normalised) for pattern in _MENTION_PATTERNS)


def with_optout_mention(
    text: str,
    *,
    country: str,
    short_code: str | None = None,
    fold: bool = False,
    policy: MentionPolicy = DEFAULT_MENTION_POLICY,
) -> MentionedText:
    """`text` ending with the country's opt-out mention (added only when it has none), as it
    will be sent (folded to GSM-7 when `fold`), with its segment count."""
    mention = mention_for(country, short_code, policy)
    added = not has_optout_mention(text, mention)
    final = text
    if added:
        body = text.rstrip()
        final = f"{body}{policy.separator}{mention}" if body else mention
    if fold:
        final = fold_to_gsm7(final)
    return MentionedText(text=final, added=added, segments=analyse(final))
