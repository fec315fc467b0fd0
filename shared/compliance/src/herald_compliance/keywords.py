"""Keywords a handset may send: opt-out (STOP), opt-in (START) and help (AIDE).

Pure functions, no IO. The keyword sets are data, one mapping per language, so that a
workspace's own keyword configuration can extend them (pass `keywords=` to `classify`).

A text is normalised before matching: accents removed (NFKD, combining marks dropped),
upper case, punctuation and symbols turned into spaces, runs of spaces collapsed. It then
matches when the whole normalised text equals a keyword, or, for opt-out only, when its
first word is one of the "leading words" (STOP, ARRET): `Stop!!`, `stop merci`, ` arrêt `.

`OUI` / `YES` are double-opt-in confirmations, not keywords: they classify as `none` here
and the consent service interprets them in the context of a pending confirmation.

This is the strict layer. `herald_compliance.optout` builds the opt-out engine on it
(courtesy words, "reasonable person" phrases, review, scope, replies): receipts calls that.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

KeywordKind = Literal["opt_out", "opt_in", "help", "none"]
MatchableKind = Literal["opt_out", "opt_in", "help"]

OPT_OUT: Final = "opt_out"
OPT_IN: Final = "opt_in"
HELP: Final = "help"
NONE: Final = "none"

# Language -> kind -> keywords, as people write them (normalised before comparison).
# Languages are tried in this order: a keyword shared by two (STOP) reports the first.
KeywordTable = Mapping[str, Mapping[MatchableKind, Sequence[str]]]

DEFAULT_KEYWORDS: Final[KeywordTable] = {
    "fr": {
        "opt_out": (
            "STOP",
            "ARRET",
            "ARRÊT",
            "DESABONNER",
            "DÉSABONNER",
            "STOP SMS",
            "DESINSCRIRE",
            "DÉSINSCRIRE",
            "DESINSCRIPTION",
            "DÉSINSCRIPTION",
        ),
        "opt_in": (),
        "help": ("AIDE", "INFO"),
    },
    "en": {
        "opt_out": (
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "OPT OUT",
            "REMOVE",
        ),
        "opt_in": ("START", "UNSTOP"),
        "help": ("HELP", "INFO"),
    },
}

# Language -> words that make a whole message an opt-out when they come first.
DEFAULT_LEADING_OPT_OUT: Final[Mapping[str, Sequence[str]]] = {
    "fr": ("STOP", "ARRET"),
    "en": ("STOP",),
}

_MATCH_ORDER: Final[tuple[MatchableKind, ...]] = ("opt_out", "opt_in", "help")


@dataclass(frozen=True)
class KeywordMatch:
    """What a text asks for: `keyword` is the table's spelling, `language` the table's key."""

    kind: KeywordKind
    keyword: str | None = None
    language: str | None = None


NO_MATCH: Final = KeywordMatch(kind="none")


def normalise(text: str) -> str:
    """`  Arrêt, merci !! ` -> `ARRET MERCI`: no accents, upper case, words split by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept: list[str] = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category in ("Mn", "Mc", "Me", "Cf"):  # combining marks, zero-width characters
            continue
        if category[0] in ("P", "S", "Z", "C"):  # punctuation, symbols, spaces, controls
            kept.append(" ")
        else:
            kept.append(char)
    return " ".join("".join(kept).upper().split())


def classify(
    text: str,
    *,
    keywords: KeywordTable = DEFAULT_KEYWORDS,
    leading_opt_out: Mapping[str, Sequence[str]] = DEFAULT_LEADING_OPT_OUT,
) -> KeywordMatch:
    """The keyword a handset's message is, if any (see the module's docstring)."""
    normalised = normalise(text)
    if not normalised:
        return NO_MATCH
    for kind in _MATCH_ORDER:
        for language, kinds in keywords.items():
            for keyword in kinds.get(kind, ()):
                if normalise(keyword) == normalised:
                    return KeywordMatch(kind=kind, keyword=keyword, language=language)
    first_word = normalised.split(" ", 1)[0]
    for language, words in leading_opt_out.items():
        for word in words:
            if normalise(word) == first_word:
                return KeywordMatch(kind="opt_out", keyword=word, language=language)
    return NO_MATCH
