"""Which column holds what: an explicit mapping first, then the usual French and English
headers, compared without case, accents or punctuation ("Téléphone portable", "N° de tel",
"E-mail", "First name"...).

Consent columns are never recognised by their name: an import says consent only when the
request declares which columns carry it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from herald_contacts.domain.attribute_types import ATTRIBUTE_NAME

ATTRIBUTE_PREFIX = "attributes."
IGNORE = "ignore"
FIELDS = (
    "phone",
    "first_name",
    "last_name",
    "email",
    "country",
    "tags",
    "lists",
    "locale",
    "timezone",
    "lifecycle",
)
CONSENT_ROLES = ("opted_in_at", "source", "wording")

# Normalised headers (see `normalise_header`), best first: a phone column named like a mobile
# wins over a generic one, so "Téléphone fixe" + "Portable" picks the mobile.
_PHONE_TIERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "portable",
            "mobile",
            "tel portable",
            "tel mobile",
            "telephone portable",
            "telephone mobile",
            "numero portable",
            "numero mobile",
            "mobile phone",
            "mobile number",
            "mobile phone number",
            "cell",
            "cell phone",
            "cellphone",
            "gsm",
            "msisdn",
            "sms",
            "numero sms",
        }
    ),
    frozenset(
        {
            "telephone",
            "tel",
            "phone",
            "phone number",
            "telephone number",
            "numero",
            "numero telephone",
            "numero tel",
            "n tel",
            "no tel",
            "num tel",
            "n telephone",
            "no telephone",
            "num telephone",
        }
    ),
)
_ALIASES: dict[str, frozenset[str]] = {
    "first_name": frozenset({"prenom", "first name", "firstname", "given name", "forename"}),
    "last_name": frozenset(
        {"nom", "nom famille", "last name", "lastname", "surname", "family name"}
    ),
    "email": frozenset(
        {
            "email",
            "e mail",
            "mail",
            "courriel",
            "adresse email",
            "adresse e mail",
            "adresse mail",
            "email address",
            "e mail address",
        }
    ),
    "country": frozenset({"pays", "country", "code pays", "country code"}),
    "tags": frozenset({"tags", "tag", "etiquettes", "etiquette", "labels", "label"}),
    "lists": frozenset({"listes", "liste", "lists", "list"}),
    "locale": frozenset({"langue", "language", "locale", "lang"}),
    "timezone": frozenset({"fuseau horaire", "fuseau", "timezone", "time zone", "tz"}),
    "lifecycle": frozenset({"lifecycle", "cycle vie", "lifecycle stage"}),
}
_STOP_WORDS = frozenset({"de", "du", "d", "la", "le", "l", "the", "of"})


class HeaderProblem(ValueError):
    """The columns cannot be read as asked: `field` is the request parameter at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def normalise_header(name: str) -> str:
    """`  N° de Téléphone ` → `n telephone`: no accents, case, punctuation or stop words."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.split(r"[^a-z0-9]+", plain)
    return " ".join(w for w in words if w and w not in _STOP_WORDS)


@dataclass(frozen=True)
class ColumnPlan:
    """What each column of the file feeds. Indexes are positions in a record."""

    headers: tuple[str, ...]
    targets: Mapping[int, str]  # column index → a FIELDS name or `attributes.<name>`
    consent: Mapping[str, int] = field(default_factory=dict)  # CONSENT_ROLES → column index

    @property
    def phone(self) -> int:
        return self.index_of("phone")

    def index_of(self, target: str) -> int:
        for index, name in self.targets.items():
            if name == target:
                return index
        raise KeyError(target)

    def has(self, target: str) -> bool:
        return target in self.targets.values()

    @property
    def attributes(self) -> dict[str, int]:
        return {
            name.removeprefix(ATTRIBUTE_PREFIX): index
            for index, name in self.targets.items()
            if name.startswith(ATTRIBUTE_PREFIX)
        }

    def describe(self) -> dict[str, str]:
        """Header → what it feeds (`consent.<role>` for consent columns), for the job's view."""
        described = {self.headers[i]: target for i, target in sorted(self.targets.items())}
        for role, index in self.consent.items():
            described[self.headers[index]] = f"consent.{role}"
        return described

    def ignored(self) -> list[str]:
        used = set(self.targets) | set(self.consent.values())
        return [h for i, h in enumerate(self.headers) if i not in used and h.strip()]


def plan_columns(
    headers: Sequence[str],
    mapping: Mapping[str, str | None] | None = None,
    country_column: str | None = None,
    consent_columns: Mapping[str, str] | None = None,
) -> ColumnPlan:
    """The plan for these headers, or HeaderProblem naming the parameter and the column."""
    clean = tuple(h.strip() for h in headers)
    targets: dict[int, str] = {}
    claimed: set[int] = set()
    for column, target in (mapping or {}).items():
        index = _find(clean, column, "mapping")
        name = _check_target("mapping", column, target or IGNORE)
        if name in targets.values() and name != IGNORE:
            raise HeaderProblem("mapping", f"two columns are mapped to {name!r}")
        claimed.add(index)
        if name != IGNORE:
            targets[index] = name
    if country_column is not None:
        index = _find(clean, country_column, "country_column")
        mapped_to = targets.get(index)
        elsewhere = "country" in targets.values() and mapped_to != "country"
        if mapped_to not in (None, "country") or elsewhere:
            raise HeaderProblem("country_column", "conflicts with the mapping")
        targets[index] = "country"
        claimed.add(index)
    consent = _consent_plan(clean, consent_columns or {}, claimed)
    claimed |= set(consent.values())
    _recognise(clean, targets, claimed)
    if "phone" not in targets.values():
        listed = ", ".join(repr(h) for h in clean) or "none"
        raise HeaderProblem(
            "file",
            f"no phone column among the headers ({listed}); name one 'téléphone', 'portable', "
            "'mobile' or 'phone', or pass mapping={\"<column>\": \"phone\"}",
        )
    return ColumnPlan(clean, targets, consent)


def _find(headers: Sequence[str], column: str, parameter: str) -> int:
    """The index of `column`: the exact header, else the one equal once normalised."""
    if column in headers:
        return headers.index(column)
    wanted = normalise_header(column)
    matches = [i for i, h in enumerate(headers) if normalise_header(h) == wanted]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(repr(h) for h in headers)
    raise HeaderProblem(parameter, f"no column {column!r} in the file (columns: {listed})")


def _check_target(parameter: str, column: str, target: str) -> str:
    if target in FIELDS or target == IGNORE:
        return target
    if target.startswith(ATTRIBUTE_PREFIX) and ATTRIBUTE_NAME.match(
        target.removeprefix(ATTRIBUTE_PREFIX)
    ):
        return target
    known = ", ".join((*FIELDS, "attributes.<name>", IGNORE))
    raise HeaderProblem(
        parameter, f"column {column!r}: {target!r} is not a contact field (one of {known})"
    )


def _consent_plan(
    headers: Sequence[str], columns: Mapping[str, str], claimed: set[int]
) -> dict[str, int]:
    if not columns:
        return {}
    unknown = sorted(set(columns) - set(CONSENT_ROLES))
    if unknown:
        raise HeaderProblem(
            "consent_columns", f"unknown role {unknown[0]!r} (roles: {', '.join(CONSENT_ROLES)})"
        )
    if "opted_in_at" not in columns:
        raise HeaderProblem(
            "consent_columns", "opted_in_at is required: the column of the opt-in dates"
        )
    plan = {role: _find(headers, column, "consent_columns") for role, column in columns.items()}
    if len(set(plan.values())) < len(plan) or set(plan.values()) & claimed:
        raise HeaderProblem("consent_columns", "a consent column is also used for another field")
    return plan


def _recognise(headers: Sequence[str], targets: dict[int, str], claimed: set[int]) -> None:
    """Fill the fields the mapping left open from the headers' names."""
    free = [(i, normalise_header(h)) for i, h in enumerate(headers) if i not in claimed]
    if "phone" not in targets.values():
        for tier in _PHONE_TIERS:
            found = [i for i, name in free if name in tier]
            if len(found) > 1:
                names = " and ".join(repr(headers[i]) for i in found)
                raise HeaderProblem(
                    "mapping",
                    f"columns {names} both look like the phone number; say which with "
                    f'mapping={{"{headers[found[0]]}": "phone"}}',
                )
            if found:
                targets[found[0]] = "phone"
                break
    taken = set(targets)
    for target, aliases in _ALIASES.items():
        if target in targets.values():
            continue
        for index, name in free:
            if index not in taken and name in aliases:
                targets[index] = target
                taken.add(index)
                break
