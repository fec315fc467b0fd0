"""One CSV record in, a contact's values or the reason it is refused out (no IO).

Rows are checked in worker processes, so the rules travel as one picklable `RowRules`.
Empty cells are absent values (None), never empty strings: the merge decides what an
absent value does to an existing contact. Numbers are normalised with the row's country
when the file has a country column, else with the import's default region.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from herald_compliance.phones import InvalidPhone, NormalisedPhone, normalise_phone
from herald_contacts.domain.attribute_types import AttributeType, check_value
from herald_contacts.domain.csv_decoding import Record
from herald_contacts.domain.csv_headers import ColumnPlan
from herald_contacts.domain.timezones import (
    ResolvedTimezone,
    UnknownTimezone,
    resolve_timezone,
    zones_for_phone,
)
from herald_kit.logs import mask_phone

MAX_NAME = 200
MAX_TEXT = 2000
MAX_LABELS = 100  # tags or lists of one contact
MAX_SHOWN = 100  # characters of a refused value the report repeats
LIFECYCLES = {"prospect": "prospect", "customer": "customer", "client": "customer"}
LIFECYCLES |= {"member": "member", "membre": "member", "adherent": "member"}
_LANGUAGES = {"francais": "fr", "french": "fr", "anglais": "en", "english": "en"}
_LANGUAGES |= {"espagnol": "es", "spanish": "es", "allemand": "de", "german": "de"}
_LANGUAGES |= {"italien": "it", "italian": "it", "portugais": "pt", "portuguese": "pt"}
_LOCALE = re.compile(r"^([a-z]{2})(?:[-_]([a-z]{2}))?$", re.IGNORECASE)
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)  # ="0612345678" keeps Excel's leading zero
_LIST_SEPARATORS = re.compile(r"[,;|]")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_FRENCH_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$"
)
_TRUE = frozenset({"true", "1", "yes", "y", "oui", "o", "vrai", "x"})
_FALSE = frozenset({"false", "0", "no", "n", "non", "faux"})
# Country cells: ISO codes, calling codes, and the names French files use most.
_COUNTRY_NAMES = {
    "france": "FR",
    "reunion": "RE",
    "la reunion": "RE",
    "guadeloupe": "GP",
    "martinique": "MQ",
    "guyane": "GF",
    "guyane francaise": "GF",
    "french guiana": "GF",
    "mayotte": "YT",
    "comores": "KM",
    "comoros": "KM",
    "belgique": "BE",
    "belgium": "BE",
    "suisse": "CH",
    "switzerland": "CH",
    "luxembourg": "LU",
    "monaco": "MC",
    "espagne": "ES",
    "spain": "ES",
    "italie": "IT",
    "italy": "IT",
    "allemagne": "DE",
    "germany": "DE",
    "royaume uni": "GB",
    "united kingdom": "GB",
    "canada": "CA",
    "etats unis": "US",
    "united states": "US",
}


@dataclass(frozen=True)
class RowRules:
    """Everything a row's check depends on, fixed for the whole import."""

    plan: ColumnPlan
    default_region: str = "FR"
    mobile_only: bool = True
    attribute_types: Mapping[str, str] | None = None  # declared name → AttributeType value
    consent_zone: str = "Europe/Paris"  # how opt-in dates without an offset are read
    now: datetime | None = None  # opt-in dates after this are refused

    @cached_property
    def layout(self) -> _Layout:
        return _layout(self.plan)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for the checking processes without the layout (they work it out again)."""
        state = dict(self.__dict__)
        state.pop("layout", None)
        return state


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    phone: str
    country: str | None
    timezone: str | None
    timezone_source: str
    timezone_ambiguous: bool
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    locale: str | None = None
    lifecycle: str | None = None
    tags: list[str] | None = None
    lists: list[str] | None = None
    attributes: dict[str, Any] | None = None
    opted_in_at: datetime | None = None
    consent_source: str | None = None
    consent_wording: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    column: str  # the header of the refused cell; "" when the whole record is at fault
    value: str  # the cell as read (a phone masked), shortened
    reason: str


class _Refused(ValueError):
    def __init__(self, index: int | None, value: str, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.value = value
        self.reason = reason


def check_row(record: Record, rules: RowRules) -> ContactRow | RejectedRow:
    """The contact this record describes, or why it is refused (the first problem found)."""
    plan = rules.plan
    if record.error is not None:
        return RejectedRow(record.line, "", "", record.error)
    shape = _shape_problem(record, len(plan.headers))
    if shape is not None:
        return RejectedRow(record.line, "", "", shape)
    try:
        return _contact(record, rules)
    except _Refused as refused:
        column = plan.headers[refused.index] if refused.index is not None else ""
        return RejectedRow(record.line, column, refused.value[:MAX_SHOWN], refused.reason)


def _shape_problem(record: Record, width: int) -> str | None:
    fields = record.fields
    overflow = len(fields) > width and any(cell.strip() for cell in fields[width:])
    if record.lines > 1 and (overflow or len(fields) < width):
        last = record.line + record.lines - 1
        return (
            f"a quote opened on line {record.line} is not closed before line {last}: "
            "the lines between were read as one value"
        )
    if overflow:
        return (
            f"{len(fields)} values where the header has {width} "
            "(a separator inside an unquoted value?)"
        )
    return None


def _cell(fields: list[str], index: int) -> str | None:
    if index >= len(fields):
        return None
    value = fields[index].strip()
    excel = _EXCEL_TEXT.match(value)
    if excel is not None:
        value = excel.group(1).strip()
    return value or None


@dataclass(frozen=True)
class _Layout:
    """Where each field is, worked out once per import rather than once per row."""

    phone: int
    country: int | None
    timezone: int | None
    checked: tuple[tuple[int, str, Any], ...]  # (column, field, check) of the plain fields


def _layout(plan: ColumnPlan) -> _Layout:
    return _Layout(
        phone=plan.phone,
        country=plan.index_of("country") if plan.has("country") else None,
        timezone=plan.index_of("timezone") if plan.has("timezone") else None,
        checked=tuple(
            (index, target, _FIELD_CHECKS[target])
            for index, target in sorted(plan.targets.items())
            if target in _FIELD_CHECKS
        ),
    )


def _contact(record: Record, rules: RowRules) -> ContactRow:
    plan, fields = rules.plan, record.fields
    layout = rules.layout
    raw_phone = _cell(fields, layout.phone)
    if raw_phone is None:
        raise _Refused(layout.phone, "", "phone: missing")
    region = rules.default_region
    if layout.country is not None:
        country = _cell(fields, layout.country)
        if country is not None:
            region = _region(country, layout.country)
    try:
        phone = normalise_phone(raw_phone, region, mobile_only=rules.mobile_only)
    except InvalidPhone as error:
        raise _Refused(layout.phone, mask_phone(raw_phone), f"phone: {error}") from None
    explicit_zone = None if layout.timezone is None else _cell(fields, layout.timezone)
    try:
        if explicit_zone is not None:
            zone = resolve_timezone(explicit_zone, phone.number or phone.e164)
        else:
            zone = _prefix_timezone(phone)
    except UnknownTimezone as error:
        raise _Refused(layout.timezone, explicit_zone or "", f"timezone: {error}") from None
    row: dict[str, Any] = {}
    for index, target, check in layout.checked:
        raw = _cell(fields, index)
        if raw is not None:
            row[target] = check(raw, index)
    attributes = _attributes(fields, plan, rules)
    if attributes is not None:
        row["attributes"] = attributes
    if plan.consent:
        row.update(_consent(fields, plan, rules))
    return ContactRow(
        record.line,
        phone.e164,
        phone.country,
        zone.timezone,
        zone.source.value,
        zone.ambiguous,
        **row,
    )


_COUNTRY_LEVEL_ZONES: dict[tuple[int | None, str | None], ResolvedTimezone] = {}


def _prefix_timezone(phone: NormalisedPhone) -> ResolvedTimezone:
    """resolve_timezone(None, number), which depends only on the number's zones and country:
    a non-geographic number's zones are its country code's, so the answer is kept per code
    and country (a million mobiles cost one resolution, not a million)."""
    number = phone.number or phone.e164
    if phone.geographic or phone.number is None:
        return resolve_timezone(None, number)
    key = (phone.number.country_code, phone.country)
    if key not in _COUNTRY_LEVEL_ZONES:
        _COUNTRY_LEVEL_ZONES[key] = resolve_timezone(None, number)
    return _COUNTRY_LEVEL_ZONES[key]


def _region(raw: str, index: int) -> str:
    text = raw.strip().upper()
    if len(text) == 2 and text in phonenumbers.SUPPORTED_REGIONS:
        return text
    digits = text.removeprefix("+").removeprefix("00")
    if digits.isdigit() and int(digits) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return phonenumbers.region_code_for_country_code(int(digits))
    named = _COUNTRY_NAMES.get(_plain(raw))
    if named is not None:
        return named
    raise _Refused(
        index,
        raw,
        f"country: {raw!r} is not a country (an ISO code such as FR, a calling code such as "
        "+33, or a name such as France)",
    )


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.split(r"[^a-z0-9]+", plain)).strip()


def _one_line(field: str, raw: str, index: int, limit: int) -> str:
    if "\n" in raw or "\r" in raw:
        raise _Refused(
            index, raw, f"{field}: contains a line break (a quote left open on an earlier line?)"
        )
    if len(raw) > limit:
        raise _Refused(index, raw, f"{field}: longer than {limit} characters")
    return raw


def _name(field: str) -> Any:
    def check(raw: str, index: int) -> str:
        return _one_line(field, raw, index, MAX_NAME)

    return check


# Plain ASCII addresses (nearly all of them): what email-validator accepts and how it writes
# them (the domain in lower case), four times faster. Anything else takes email-validator
# (tests/unit/test_import_rows.py checks that both agree).
_PLAIN_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(raw: str) -> str | None:
    match = _PLAIN_EMAIL.match(raw)
    local = match.group("local") if match is not None else ""
    if match is None or len(raw) > 254 or len(local) > 64 or not local.islower():
        return None  # upper case: role names (INFO@, RFC 2142) are lowered by email-validator
    domain = match.group("domain").lower()
    labels = domain.split(".")
    if "--" in domain or any(label in _SPECIAL_USE for label in labels[-2:]):
        return None  # IDNA labels and reserved names: email-validator decides
    return f"{local}@{domain}"


def _email(raw: str, index: int) -> str:
    _one_line("email", raw, index, 320)
    plain = _plain_email(raw)
    if plain is not None:
        return plain
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise _Refused(index, raw, f"email: {error}") from None


def _locale(raw: str, index: int) -> str:
    text = _LANGUAGES.get(_plain(raw), raw.strip())
    match = _LOCALE.match(text)
    if match is None:
        raise _Refused(index, raw, f"locale: {raw!r} is not a language code such as fr or fr-FR")
    language, country = match.group(1).lower(), match.group(2)
    return f"{language}-{country.upper()}" if country else language


def _lifecycle(raw: str, index: int) -> str:
    value = LIFECYCLES.get(_plain(raw))
    if value is None:
        raise _Refused(index, raw, f"lifecycle: {raw!r} is not prospect, customer or member")
    return value


def _labels(field: str, longest: int) -> Any:
    def check(raw: str, index: int) -> list[str]:
        labels = sorted({part.strip() for part in _LIST_SEPARATORS.split(raw) if part.strip()})
        if len(labels) > MAX_LABELS:
            raise _Refused(index, raw, f"{field}: more than {MAX_LABELS}")
        for label in labels:
            _one_line(field, label, index, longest)
        return labels

    return check


_FIELD_CHECKS = {
    "first_name": _name("first_name"),
    "last_name": _name("last_name"),
    "email": _email,
    "locale": _locale,
    "lifecycle": _lifecycle,
    "tags": _labels("tags", MAX_NAME),
    "lists": _labels("lists", 100),
}


def _attributes(fields: list[str], plan: ColumnPlan, rules: RowRules) -> dict[str, Any] | None:
    columns = plan.attributes
    if not columns:
        return None
    declared = rules.attribute_types or {}
    stored: dict[str, Any] = {}
    for name, index in columns.items():
        raw = _cell(fields, index)
        if raw is None:
            continue
        field = f"attributes.{name}"
        if name not in declared:
            raise _Refused(index, raw, f"{field}: unknown attribute {name!r}")
        kind = AttributeType(declared[name])
        try:
            stored[name] = check_value(kind, _typed(kind, raw))
        except ValueError as error:
            raise _Refused(index, raw, f"{field}: {error}") from None
    return stored


def _typed(kind: AttributeType, raw: str) -> Any:
    """A cell as the JSON value its declared type expects (French formats included)."""
    if kind is AttributeType.NUMBER:
        compact = re.sub(r"[\s\u202f]", "", raw)
        if not _NUMBER.match(compact):
            raise ValueError(f"expected a number, got {raw!r}")
        number = float(compact.replace(",", "."))
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind is AttributeType.BOOLEAN:
        word = _plain(raw)
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(f"expected yes/no (oui/non, true/false, 1/0), got {raw!r}")
    if kind is AttributeType.DATE:
        return _date(raw).isoformat()
    return raw


def _date(raw: str) -> date:
    french = _FRENCH_DATE.match(raw)
    if french is not None:
        day, month, year = (int(french.group(i)) for i in (1, 2, 3))
        try:
            return date(year, month, day)
        except ValueError:
            pass
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise ValueError(f"expected a date (YYYY-MM-DD or DD/MM/YYYY), got {raw!r}") from None


def _consent(fields: list[str], plan: ColumnPlan, rules: RowRules) -> dict[str, Any]:
    columns = plan.consent
    if not columns:
        return {}
    index = columns["opted_in_at"]
    raw = _cell(fields, index)
    if raw is None:
        return {}  # no consent declared on this row
    opted_in_at = _moment(raw, index, rules.consent_zone)
    if rules.now is not None and opted_in_at > rules.now + timedelta(minutes=5):
        raise _Refused(index, raw, "opted_in_at: in the future")
    declared: dict[str, Any] = {"opted_in_at": opted_in_at, "consent_source": "import"}
    for role, key in (("source", "consent_source"), ("wording", "consent_wording")):
        if role in columns:
            text = _cell(fields, columns[role])
            if text is not None:
                declared[key] = _one_line(role, text, columns[role], MAX_TEXT)
    return declared


def _moment(raw: str, index: int, zone: str) -> datetime:
    french = _FRENCH_DATE.match(raw)
    try:
        if french is not None:
            day, month, year, hour, minute, second = (
                int(french.group(i) or 0) for i in range(1, 7)
            )
            moment = datetime(year, month, day, hour, minute, second)
        else:
            moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _Refused(
            index,
            raw,
            "opted_in_at: not a date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS+02:00 or DD/MM/YYYY HH:MM)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def region_zone(region: str) -> str:
    """The time zone that opt-in dates without an offset are read in: the region's own when
    it has one (FR: Europe/Paris, RE: Indian/Reunion), else UTC."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "UTC"
    zones = zones_for_phone(example)
    return zones[0] if len(zones) == 1 else "UTC"
