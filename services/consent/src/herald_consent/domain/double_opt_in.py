"""Double opt-in rules: what counts as a "yes", when a request expires, the confirmation text.

Pure: no IO, no settings. A reply confirms when, once normalised like every handset message
(herald_compliance.keywords.normalise: accents, case, punctuation, spacing; a word spelled
out letter by letter is one word), it is made only of confirmation words (OUI, YES, Y) and
courtesy words (merci, svp, please, ok...), with at least one confirmation word: `Oui !`,
`oui merci`, `YES please`, `y`, `O U I`. `O` alone is not accepted: it is no settled
French convention and too easily a typo (a zero, a stray key); consent must be an
unambiguous act (GDPR Art. 4(11)). `NON`, `OUI NON`, `oui mais...` confirm nothing.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from herald_compliance.keywords import normalise
from herald_compliance.optout import DEFAULT_COURTESY, message_words, strip_sequences

RequestStatus = Literal["pending", "confirmed", "superseded"]
ShownStatus = Literal["pending", "confirmed", "superseded", "expired"]

PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"
SUPERSEDED: Final = "superseded"
EXPIRED: Final = "expired"

CONFIRMATION_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "fr": ("OUI",),
    "en": ("YES", "Y"),
}

DEFAULT_TEXTS: Final[Mapping[str, str]] = {
    "fr": "Répondez OUI pour confirmer votre inscription aux SMS de {brand}.",
    "en": "Reply YES to confirm your subscription to {brand} text messages.",
}
DEFAULT_LINK_TEXTS: Final[Mapping[str, str]] = {
    "fr": "Répondez OUI ou ouvrez {link} pour confirmer votre inscription aux SMS de {brand}.",
    "en": "Reply YES or open {link} to confirm your subscription to {brand} text messages.",
}
TEXT_FIELDS: Final = frozenset({"brand"})
LINK_TEXT_FIELDS: Final = frozenset({"brand", "link"})


_COURTESY: Final = [
    tuple(normalise(phrase).split()) for phrases in DEFAULT_COURTESY.values() for phrase in phrases
]
_CONFIRMING: Final = {normalise(word) for words in CONFIRMATION_WORDS.values() for word in words}


def confirmation_of(text: str) -> str | None:
    """The confirmation word the reply consists of (`OUI`, `YES`, `Y`), else None."""
    left = strip_sequences(message_words(text), _COURTESY)
    if not left or any(word not in _CONFIRMING for word in left):
        return None
    return left[0]


def expires_at(requested_at: datetime, expiry_s: int) -> datetime:
    return requested_at + timedelta(seconds=expiry_s)


def accepts(requested_at: datetime, expires: datetime, at: datetime) -> bool:
    """Whether an answer given `at` counts: after the request, strictly before its expiry."""
    return requested_at <= at < expires


def shown_status(status: str, expires: datetime, now: datetime) -> ShownStatus:
    """The status a reader sees: a pending request past its expiry is `expired`."""
    if status == PENDING:
        return EXPIRED if now >= expires else PENDING
    if status == CONFIRMED:
        return CONFIRMED
    return SUPERSEDED


def token_hash(token: str) -> str:
    """What the database keeps of a link token (the token itself is only in the SMS)."""
    return hashlib.sha256(token.encode()).hexdigest()


def language_of(requested: str | None, available: Mapping[str, str], default: str) -> str:
    """`en-GB`, `EN`, `en_US` -> `en` when there is an `en` template; else the default."""
    if requested:
        primary = requested.replace("_", "-").split("-")[0].strip().lower()
        if primary in available:
            return primary
    return default


def _check(name: str, template: str, allowed: frozenset[str]) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    unknown = fields - allowed
    if unknown:
        raise ValueError(
            f"{name}: unknown placeholder(s) {sorted(unknown)}; allowed {sorted(allowed)}"
        )
    if "brand" not in fields:
        raise ValueError(f"{name}: the text must name the brand ({{brand}})")


@dataclass(frozen=True)
class Templates:
    """Confirmation texts per language: without a link, and with one ({link})."""

    texts: Mapping[str, str]
    link_texts: Mapping[str, str]
    default_language: str = "fr"

    def __post_init__(self) -> None:
        for language, template in self.texts.items():
            _check(f"texts.{language}", template, TEXT_FIELDS)
        for language, template in self.link_texts.items():
            _check(f"link_texts.{language}", template, LINK_TEXT_FIELDS)
            if "{link}" not in template:
                raise ValueError(f"link_texts.{language}: the text must carry the {{link}}")
        if self.default_language not in self.texts:
            raise ValueError(f"default_language: no text for {self.default_language!r}")
        if set(self.link_texts) != set(self.texts):
            raise ValueError("texts and link_texts must cover the same languages")

    def language(self, requested: str | None) -> str:
        return language_of(requested, self.texts, self.default_language)

    def render(self, language: str, brand_name: str, link: str | None) -> str:
        if link:
            return self.link_texts[language].format(brand=brand_name, link=link)
        return self.texts[language].format(brand=brand_name)
