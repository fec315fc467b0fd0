"""The opt-out engine: what a handset's message asks for, under a configured policy. Pure.

`evaluate(text)` answers opt_out / opt_in / help / review / none, with the keyword or phrase
that decided, its language, and the scope an opt-out would have. Receipts calls it on every
handset message. The text is normalised first (`keywords.normalise`: accents, case,
punctuation, spacing); a message made only of single letters is read as one word (`S T O P`,
`s.t.o.p`). Then the first rule that applies decides:

1. `keyword`: the whole message is a keyword of any kind (`Stop.`, `ARRÊT`, `opt-out`, `aide`).
2. `keyword_courteous`: a keyword plus courtesy words only, in any order, a keyword said
   twice counting once (`STOP merci`, `merci, stop svp`, `please stop`, `STOP STOP`,
   `help please`).
3. `keyword_leading`: a *strong* opt-out word (STOP, STOPALL, ARRET, DESABONNER,
   UNSUBSCRIBE...) opens the message and at most `leading_extra_words` (2) other words
   follow, courtesy words not counted (`STOP 36111`, `stop les sms`, `Stop it`).
4. `phrase`: a phrase a reasonable person reads as an opt-out, anywhere in the message
   (`je ne veux plus recevoir`, `don't text me`, `wrong number`). Policy `treat_as_optout`
   (the default, the strictest reading, as FCC 24-18 "any reasonable means") makes it an
   opt-out; `review` queues it for a person.
5. `keyword_in_sentence`: a strong opt-out word inside a longer message (`I'll stop by your
   store tomorrow`, `Stop by our store for the sale`) is never an opt-out by itself: it is
   queued for review (switch off with `review_keyword_in_sentence=False`).
6. otherwise `none`. END, QUIT, CANCEL, REMOVE, HELP, INFO, START count only under rules 1-2:
   `cancel my order` or `end of the day` are ordinary messages.

Scope: `global` (every brand) or `brand`, switchable. In brand mode the brand is the one
configured for the short code the handset wrote to; an unknown short code, and STOPALL,
stay global (the strictest reading). Replies: at most one per keyword, no marketing; opt-out
confirmations and help replies are per-language templates (`Replies`). Opt-in keywords get no
reply here (consent decides whether a START restores anything); review gets none until a
person decides.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from herald_compliance.keywords import DEFAULT_KEYWORDS, KeywordTable, normalise

OptoutKind = Literal["opt_out", "opt_in", "help", "review", "none"]
PhrasePolicy = Literal["treat_as_optout", "review"]
ScopeMode = Literal["global", "brand"]
Scope = Literal["global", "brand"]
Rule = Literal[
    "keyword", "keyword_courteous", "keyword_leading", "phrase", "keyword_in_sentence", "none"
]
ReplyKind = Literal["optout_confirmation", "help"]

PHRASE_POLICIES: Final = ("treat_as_optout", "review")
SCOPE_MODES: Final = ("global", "brand")
DEFAULT_BRAND: Final = "default"

# Words that make a short message an opt-out when they open it (rule 3), and that send a
# longer message to review (rule 5). END, QUIT, CANCEL, REMOVE are everyday words: not here.
DEFAULT_STRONG_OPT_OUT: Final[Mapping[str, Sequence[str]]] = {
    "fr": ("STOP", "ARRET", "DESABONNER", "DESINSCRIRE", "DESINSCRIPTION"),
    "en": ("STOP", "STOPALL", "UNSUBSCRIBE", "UNSUB", "OPTOUT", "OPT OUT", "REVOKE"),
}

# Words that may surround a keyword without changing what it asks (rule 2).
DEFAULT_COURTESY: Final[Mapping[str, Sequence[str]]] = {
    "fr": (
        "MERCI",
        "MERCI BEAUCOUP",
        "SVP",
        "STP",
        "S IL VOUS PLAIT",
        "S IL VOUS PLAÎT",
        "S IL TE PLAIT",
        "BONJOUR",
        "BONSOIR",
        "SALUT",
        "CORDIALEMENT",
        "OK",
        "D ACCORD",
    ),
    "en": (
        "PLEASE",
        "PLS",
        "PLZ",
        "THANKS",
        "THANK YOU",
        "THX",
        "TY",
        "HI",
        "HELLO",
        "OK",
        "OKAY",
        "NOW",
    ),
}

# Phrases a reasonable person reads as "stop sending me messages" (rule 4). Matched as
# whole words inside the normalised message; extend per deployment.
DEFAULT_PHRASES: Final[Mapping[str, Sequence[str]]] = {
    "fr": (
        "NE PLUS RECEVOIR",
        "NE VEUX PLUS RECEVOIR",
        "NE VEUX PLUS DE",
        "NE SOUHAITE PLUS RECEVOIR",
        "NE SOUHAITE PLUS ETRE",
        "NE M ENVOYEZ PLUS",
        "NE PLUS M ENVOYER",
        "NE M ECRIVEZ PLUS",
        "NE ME CONTACTEZ PLUS",
        "NE PLUS ETRE CONTACTE",
        "ARRETEZ DE M ENVOYER",
        "ARRETEZ DE M ECRIRE",
        "ARRETEZ DE ME CONTACTER",
        "ARRETEZ LES SMS",
        "ARRETEZ LES MESSAGES",
        "ARRETEZ VOS SMS",
        "PLUS DE SMS",
        "PLUS DE MESSAGES",
        "DESABONNEZ MOI",
        "DESINSCRIVEZ MOI",
        "ME DESABONNER",
        "ME DESINSCRIRE",
        "RETIREZ MOI",
        "RETIREZ MON NUMERO",
        "SUPPRIMEZ MON NUMERO",
        "EFFACEZ MON NUMERO",
        "MAUVAIS NUMERO",
        "ERREUR DE NUMERO",
        "FAUX NUMERO",
        "LAISSEZ MOI TRANQUILLE",
    ),
    "en": (
        "DON T TEXT ME",
        "DONT TEXT ME",
        "DO NOT TEXT ME",
        "DON T MESSAGE ME",
        "DO NOT MESSAGE ME",
        "DON T CONTACT ME",
        "DO NOT CONTACT ME",
        "STOP TEXTING",
        "STOP SENDING",
        "STOP MESSAGING",
        "STOP CONTACTING",
        "NO MORE TEXTS",
        "NO MORE MESSAGES",
        "REMOVE ME",
        "REMOVE MY NUMBER",
        "TAKE ME OFF",
        "UNSUBSCRIBE ME",
        "WANT TO UNSUBSCRIBE",
        "OPT ME OUT",
        "WANT TO OPT OUT",
        "WRONG NUMBER",
        "LEAVE ME ALONE",
    ),
}

# Keywords whose opt-out always covers every brand, whatever the scope mode.
DEFAULT_GLOBAL_KEYWORDS: Final = ("STOPALL",)

_MATCH_ORDER: Final[tuple[Literal["opt_out", "opt_in", "help"], ...]] = (
    "opt_out",
    "opt_in",
    "help",
)


@dataclass(frozen=True)
class OptoutPolicy:
    """The engine's configuration. Everything is data; `evaluate` reads nothing else.

    `brands` maps a short code (the destination the handset wrote to) to its brand, used in
    `brand` scope mode. `default_language` settles a keyword that belongs to several
    languages (STOP, INFO) when the caller gives no hint that is one of them."""

    keywords: KeywordTable = field(default_factory=lambda: DEFAULT_KEYWORDS)
    strong_opt_out: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: DEFAULT_STRONG_OPT_OUT
    )
    courtesy: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_COURTESY)
    phrases: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_PHRASES)
    phrase_policy: PhrasePolicy = "treat_as_optout"
    review_keyword_in_sentence: bool = True
    leading_extra_words: int = 2
    scope: ScopeMode = "global"
    brands: Mapping[str, str] = field(default_factory=dict)
    global_keywords: Sequence[str] = DEFAULT_GLOBAL_KEYWORDS
    default_language: str = "fr"

    def __post_init__(self) -> None:
        # Refused when configured, never discovered on a handset's message.
        if self.phrase_policy not in PHRASE_POLICIES:
            raise ValueError(
                f"phrase_policy: {self.phrase_policy!r} is not one of {PHRASE_POLICIES}"
            )
        if self.scope not in SCOPE_MODES:
            raise ValueError(f"scope: {self.scope!r} is not one of {SCOPE_MODES}")
        if self.leading_extra_words < 0:
            raise ValueError("leading_extra_words: must be 0 or more")


DEFAULT_POLICY: Final = OptoutPolicy()


@dataclass(frozen=True)
class OptoutResult:
    """What a message asks for. `matched` is the keyword or phrase as the tables spell it;
    `scope` and `brand` are set for opt_out, opt_in and review (what an opt-out would cover)."""

    kind: OptoutKind
    matched: str | None = None
    language: str | None = None
    rule: Rule = "none"
    scope: Scope | None = None
    brand: str | None = None


NOTHING: Final = OptoutResult(kind="none")


# ── matching ─────────────────────────────────────────────────────────────────
def message_words(text: str) -> list[str]:
    """A message's words, normalised (case, accents, punctuation); a word spelled out letter
    by letter is read as one word. Also how consent reads a double opt-in reply."""
    words = normalise(text).split()
    if len(words) > 1 and all(len(word) == 1 for word in words):
        return ["".join(words)]  # `S T O P`, `s.t.o.p`: spelled out, read as one word
    return words


def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(normalise(phrase).split())


def _contains(words: Sequence[str], phrase: Sequence[str]) -> int | None:
    """Index where `phrase` occurs in `words` as whole words, else None."""
    size = len(phrase)
    if size == 0:
        return None
    for start in range(len(words) - size + 1):
        if tuple(words[start : start + size]) == tuple(phrase):
            return start
    return None


def strip_sequences(words: Sequence[str], removable: Iterable[tuple[str, ...]]) -> list[str]:
    """`words` without any occurrence of the removable sequences (longest first)."""
    ordered = sorted({r for r in removable if r}, key=len, reverse=True)
    kept: list[str] = []
    index = 0
    while index < len(words):
        for sequence in ordered:
            if tuple(words[index : index + len(sequence)]) == sequence:
                index += len(sequence)
                break
        else:
            kept.append(words[index])
            index += 1
    return kept


def _dedupe(words: Sequence[str]) -> list[str]:
    return [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]


def _all_courtesy(policy: OptoutPolicy) -> list[tuple[str, ...]]:
    return [_phrase_tokens(w) for words in policy.courtesy.values() for w in words]


def _courtesy_language(words: Sequence[str], policy: OptoutPolicy) -> str | None:
    """The language of the courtesy words around a keyword, when they have only one."""
    languages = {
        language
        for language, phrases in policy.courtesy.items()
        for phrase in phrases
        if _contains(words, _phrase_tokens(phrase)) is not None
    }
    return languages.pop() if len(languages) == 1 else None


def _languages_of(
    policy: OptoutPolicy, kind: Literal["opt_out", "opt_in", "help"], words: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(language, keyword as spelled) of every table entry equal to `words`."""
    found: list[tuple[str, str]] = []
    for language, kinds in policy.keywords.items():
        for keyword in kinds.get(kind, ()):
            if _phrase_tokens(keyword) == words:
                found.append((language, normalise(keyword)))
                break
    return found


def _pick_language(candidates: Sequence[str], policy: OptoutPolicy, hint: str | None) -> str | None:
    if not candidates:
        return None
    for preferred in (hint, policy.default_language):
        if preferred in candidates:
            return preferred
    return candidates[0]


def _scope(policy: OptoutPolicy, matched: str | None, destination: str | None) -> tuple[Scope, str]:
    if matched is not None and normalise(matched) in {normalise(k) for k in policy.global_keywords}:
        return "global", "*"
    if policy.scope == "brand" and destination is not None:
        brand = policy.brands.get(destination.strip())
        if brand:
            return "brand", brand
    return "global", "*"


def _result(
    kind: OptoutKind,
    matched: str,
    languages: Sequence[str],
    rule: Rule,
    policy: OptoutPolicy,
    hint: str | None,
    destination: str | None,
) -> OptoutResult:
    scope: Scope | None = None
    brand: str | None = None
    if kind in ("opt_out", "opt_in", "review"):
        scope, brand = _scope(policy, matched, destination)
    return OptoutResult(
        kind=kind,
        matched=matched,
        language=_pick_language(languages, policy, hint),
        rule=rule,
        scope=scope,
        brand=brand,
    )


def _keyword_of(
    words: tuple[str, ...], policy: OptoutPolicy
) -> tuple[Literal["opt_out", "opt_in", "help"], str, list[str]] | None:
    for kind in _MATCH_ORDER:
        found = _languages_of(policy, kind, words)
        if found:
            return kind, found[0][1], [language for language, _ in found]
    return None


def _strong_words(policy: OptoutPolicy) -> list[tuple[tuple[str, ...], str]]:
    """(tokens, language) of every strong opt-out word, longest first."""
    pairs = [
        (_phrase_tokens(word), language)
        for language, words in policy.strong_opt_out.items()
        for word in words
    ]
    return sorted((p for p in pairs if p[0]), key=lambda p: len(p[0]), reverse=True)


def _languages_for(
    pairs: Sequence[tuple[tuple[str, ...], str]], words: tuple[str, ...]
) -> list[str]:
    return [language for tokens, language in pairs if tokens == words]


def evaluate(
    text: str,
    *,
    policy: OptoutPolicy = DEFAULT_POLICY,
    destination: str | None = None,
    language_hint: str | None = None,
) -> OptoutResult:
    """What a handset's message asks for (the rules are in the module's docstring).
    `destination`: the short code it was sent to (brand scope); `language_hint`: a language
    to prefer for keywords shared by several languages (e.g. from the sender's country)."""
    words = message_words(text)
    if not words:
        return NOTHING
    whole = tuple(words)

    # 1. the whole message is a keyword
    found = _keyword_of(whole, policy)
    if found is not None:
        kind, keyword, languages = found
        return _result(kind, keyword, languages, "keyword", policy, language_hint, destination)

    # 2. a keyword among courtesy words (whose language settles STOP's: `please stop`)
    rest = tuple(_dedupe(strip_sequences(words, _all_courtesy(policy))))
    if rest and rest != whole:
        found = _keyword_of(rest, policy)
        if found is not None:
            kind, keyword, languages = found
            hint = _courtesy_language(words, policy) or language_hint
            return _result(kind, keyword, languages, "keyword_courteous", policy, hint, destination)

    strong = _strong_words(policy)
    # 3. a strong opt-out word opens a short message
    for tokens, _language in strong:
        if whole[: len(tokens)] == tokens:
            after = strip_sequences(words[len(tokens) :], _all_courtesy(policy))
            if len(after) <= policy.leading_extra_words:
                return _result(
                    "opt_out",
                    " ".join(tokens),
                    _languages_for(strong, tokens),
                    "keyword_leading",
                    policy,
                    language_hint,
                    destination,
                )
            break

    # 4. a phrase a reasonable person reads as an opt-out
    best: tuple[int, str, str] | None = None
    for language, phrases in policy.phrases.items():
        for phrase in phrases:
            tokens = _phrase_tokens(phrase)
            at = _contains(words, tokens)
            if at is not None and (best is None or at < best[0]):
                best = (at, " ".join(tokens), language)
    if best is not None:
        decided: OptoutKind = "opt_out" if policy.phrase_policy == "treat_as_optout" else "review"
        return _result(decided, best[1], [best[2]], "phrase", policy, language_hint, destination)

    # 5. a strong opt-out word inside a longer message: a person decides
    if policy.review_keyword_in_sentence:
        for tokens, _language in strong:
            if _contains(words, tokens) is not None:
                return _result(
                    "review",
                    " ".join(tokens),
                    _languages_for(strong, tokens),
                    "keyword_in_sentence",
                    policy,
                    language_hint,
                    destination,
                )
    return NOTHING


# ── replies ──────────────────────────────────────────────────────────────────
DEFAULT_CONFIRMATIONS: Final[Mapping[str, str]] = {
    "fr": (
        "{brand} : votre désinscription est enregistrée. "
        "Vous ne recevrez plus de SMS de notre part."
    ),
    "en": "{brand}: you are unsubscribed and will receive no more messages from us.",
}
DEFAULT_HELP: Final[Mapping[str, str]] = {
    "fr": "{brand} : pour ne plus recevoir nos SMS, répondez STOP (gratuit).",
    "en": "{brand}: reply STOP to unsubscribe. Msg & data rates may apply.",
}
TEMPLATE_FIELDS: Final = frozenset({"brand"})


def _check_template(name: str, template: str) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as error:
        raise ValueError(f"{name}: not a valid template ({error})") from error
    unknown = fields - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"{name}: unknown placeholder(s) {sorted(unknown)}; only {{brand}}")
    if not template.strip():
        raise ValueError(f"{name}: empty template")


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    language: str
    text: str


@dataclass(frozen=True)
class Replies:
    """Per-language reply templates. `{brand}` is the only placeholder; a language without
    a template falls back to `default_language`'s. No marketing goes in these: the opt-out
    confirmation is the one message allowed after a STOP."""

    confirmations: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CONFIRMATIONS)
    help: Mapping[str, str] = field(default_factory=lambda: DEFAULT_HELP)
    default_language: str = "fr"

    def __post_init__(self) -> None:
        for group, templates in (("confirmations", self.confirmations), ("help", self.help)):
            if self.default_language not in templates:
                raise ValueError(f"{group}: no template for {self.default_language!r}")
            for language, template in templates.items():
                _check_template(f"{group}.{language}", template)

    def render(self, kind: ReplyKind, language: str | None, brand_name: str) -> Reply:
        templates = self.confirmations if kind == "optout_confirmation" else self.help
        chosen = (
            language if language is not None and language in templates else self.default_language
        )
        return Reply(kind=kind, language=chosen, text=templates[chosen].format(brand=brand_name))


DEFAULT_REPLIES: Final = Replies()


def reply_kind_for(result: OptoutResult) -> ReplyKind | None:
    """The one reply a result deserves: a confirmation for an opt-out, the help text for a
    help keyword, nothing else."""
    if result.kind == "opt_out":
        return "optout_confirmation"
    if result.kind == "help":
        return "help"
    return None
