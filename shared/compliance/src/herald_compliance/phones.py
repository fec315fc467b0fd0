"""Phone numbers: any common format in, E.164 out (one rule for every service).

Contacts (API and CSV imports), consent (forms and client systems) and receipts (senders as
gateways report them) normalise with this module, so a number typed, imported or received
is the same E.164 string in every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers import timezone as phone_timezones


class InvalidPhone(ValueError):
    pass


class NotMobile(InvalidPhone):
    """A real number that cannot take an SMS (a landline, a toll-free or premium number...)."""


# phonenumbers' number types, by the name a report shows.
_KIND_NAMES = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline or mobile",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "universal access number",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
# Where a country's plan cannot tell a mobile from a landline (the US), the number may be one.
_SMS_CAPABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
_SMS_CAPABLE_KINDS = frozenset(_KIND_NAMES[t] for t in _SMS_CAPABLE)


@dataclass(frozen=True)
class NormalisedPhone:
    e164: str
    country: str | None
    timezone: str | None
    kind: str = "unknown"  # landline, mobile, toll-free... (the names of _KIND_NAMES)
    # True when the number's time zones depend on its prefix (landlines); False when they
    # are its country code's (mobiles, in most countries).
    geographic: bool = False
    # The parsed number, for callers that derive more from it (an import's time zones).
    number: PhoneNumber | None = field(default=None, compare=False, repr=False)

    @property
    def mobile(self) -> bool:
        return self.kind in _SMS_CAPABLE_KINDS


def normalise_phone(
    raw: str,
    default_region: str = "FR",
    *,
    mobile_only: bool = False,
    missing_plus: bool = False,
) -> NormalisedPhone:
    """Parse `06 12 34 56 78`, `+33 (0)6…`, `0033…` and the like; reject what is not a number
    (InvalidPhone) and, with `mobile_only`, what cannot take an SMS (NotMobile).

    `missing_plus` also reads digits that are no number of the region as an international
    number whose `+` was dropped (`447911123456`), as some SMPP binds report senders; it is
    off for what people type or import, where such a guess would invent a foreign number."""
    text = raw.strip().replace("(0)", "")
    try:
        number, kind = _parse(text, default_region)
    except InvalidPhone:
        international = _with_plus(text) if missing_plus else None
        if international is None:
            raise
        number, kind = international
    if mobile_only and kind not in _SMS_CAPABLE:
        raise NotMobile(f"not a mobile number ({_KIND_NAMES.get(kind, 'unknown')})")
    geographic = phonenumbers.is_number_type_geographical(kind, number.country_code or 0)
    zones = [z for z in _zones(number, geographic) if z != "Etc/Unknown"]
    return NormalisedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=phonenumbers.region_code_for_number(number),
        timezone=zones[0] if len(zones) == 1 else None,
        kind=_KIND_NAMES.get(kind, "unknown"),
        geographic=geographic,
        number=number,
    )


# Regions dialled with the national numbers of another: from mainland France, 0692 12 34 56
# reaches a Réunion mobile (+262 692…), so French files write overseas numbers that way.
_SHARED_NATIONAL_PLANS = {"FR": ("RE", "YT", "GP", "MQ", "GF", "BL", "MF")}


def _parse(text: str, region: str) -> tuple[PhoneNumber, int]:
    """The number and its type: in `region`, else (written nationally) in a region sharing
    its national numbers."""
    try:
        return _parse_in(text, region)
    except InvalidPhone:
        if text.startswith(("+", "00")):
            raise
        for other in _SHARED_NATIONAL_PLANS.get(region.upper(), ()):
            try:
                return _parse_in(text, other)
            except InvalidPhone:
                continue
        raise


def _with_plus(text: str) -> tuple[PhoneNumber, int] | None:
    """Bare digits (no national prefix) read as `+digits`; None when that is no number."""
    digits = _SEPARATORS.sub("", text)
    if not (digits.isascii() and digits.isdigit()) or digits.startswith("0"):
        return None
    try:
        return _parse_in("+" + digits, "ZZ")
    except InvalidPhone:
        return None


def _parse_in(text: str, region: str) -> tuple[PhoneNumber, int]:
    number = _quick_parse(text, region)
    kind = _quick_number_type(number) if number is not None else PhoneNumberType.UNKNOWN
    if number is None or kind == PhoneNumberType.UNKNOWN:
        number = _full_parse(text, region)
        kind = phonenumbers.number_type(number)
    return number, kind


_COUNTRY_ZONES: dict[int, tuple[str, ...]] = {}


def _zones(number: PhoneNumber, geographic: bool) -> tuple[str, ...]:
    """phonenumbers' time_zones_for_number for a valid number whose type is known, without
    the type check it would run again: a geographic number's zones are its prefix's, the
    others' their country code's (the same for every number of the code: kept)."""
    if geographic:
        return tuple(phone_timezones.time_zones_for_geographical_number(number))
    code = number.country_code or 0
    if code not in _COUNTRY_ZONES:
        _COUNTRY_ZONES[code] = tuple(phone_timezones.time_zones_for_number(number))
    return _COUNTRY_ZONES[code]


def _full_parse(text: str, default_region: str) -> PhoneNumber:
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"not a phone number: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number for its country")
    return number


# ── The quick path ─────────────────────────────────────────────────────────────
# A file of a million rows is almost only `0612345678`, `06 12 34 56 78`, `+33612345678` or
# `0033 6…`. For those shapes the number `phonenumbers.parse` would return is plain: the
# country calling code and the digits after it (or after the national prefix `0`). Building
# it directly is four times faster than the general parser. It is taken only where that is
# exactly what `parse` does (no national-prefix rule other than a leading 0, no significant
# leading zero) and only when phonenumbers' own metadata finds the result valid; anything
# else goes through `parse` (tests/test_phones.py checks both paths agree).
_SEPARATORS = re.compile(r"[\s.\-/()]")


@lru_cache(maxsize=512)
def _plain_plan(country_code: int) -> bool:
    """True when the country's numbers parse as `digits after the code` (see above)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return (
        metadata is not None
        and metadata.national_prefix_for_parsing in (None, "0")
        and metadata.national_prefix_transform_rule is None
    )


@lru_cache(maxsize=512)
def _region_plan(region: str) -> tuple[int, bool] | None:
    """The region's calling code, and whether its national prefix is a plain leading 0."""
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or metadata.country_code is None or not _plain_plan(metadata.country_code):
        return None
    return metadata.country_code, metadata.national_prefix_for_parsing == "0"


def _quick_parse(text: str, default_region: str) -> PhoneNumber | None:
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        international: str | None = digits[1:]
    elif digits.startswith("00"):
        international = digits[2:]
    else:
        international = None
    if international is not None:
        if not (international.isascii() and international.isdigit()):
            return None
        for length in (1, 2, 3):  # calling codes are prefix-free, as parse reads them
            code = int(international[:length] or "0")
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return _plain_number(code, international[length:])
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    plan = _region_plan(default_region)
    if plan is None:
        return None
    code, leading_zero_prefix = plan
    if digits.startswith("0"):
        return _plain_number(code, digits[1:]) if leading_zero_prefix else None
    return _plain_number(code, digits)


def _plain_number(country_code: int, national: str) -> PhoneNumber | None:
    if not national or national.startswith("0") or not _plain_plan(country_code):
        return None
    return PhoneNumber(country_code=country_code, national_number=int(national))


# The type of a quick-path number: what `phonenumbers.number_type` answers, from the same
# metadata, with the patterns compiled once per region and the region taken straight from
# the calling code when only one region uses it. number_type was a third of an import's row
# checks; tests/test_phones.py checks both agree on every number of every type of every region.
_TYPE_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)


def _alternative(desc: object) -> str | None:
    """A number type's description as one regular expression (its lengths as a lookahead)."""
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None
    lengths = "|".join(f"\\d{{{n}}}" for n in sorted(getattr(desc, "possible_length", ()) or ()))
    guard = f"(?=(?:{lengths})\\Z)" if lengths else ""
    return f"{guard}(?:{pattern})"


@dataclass(frozen=True)
class _TypePlan:
    """One region's number types, in phonenumbers' order, as ONE pattern of named
    alternatives: the first that matches the whole number is the type number_type finds."""

    pattern: re.Pattern[str]

    def type_of(self, national: str) -> int:
        match = self.pattern.fullmatch(national)
        if match is None or match.lastgroup is None:
            return PhoneNumberType.UNKNOWN
        return int(match.lastgroup[1:])


@lru_cache(maxsize=512)
def _type_plan(country_code: int, region: str) -> _TypePlan | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    general = _alternative(metadata.general_desc) if metadata is not None else None
    if metadata is None or general is None:
        return None
    fixed, mobile = _alternative(metadata.fixed_line), _alternative(metadata.mobile)
    same = bool(metadata.same_mobile_and_fixed_line_pattern)
    order = [(_alternative(getattr(metadata, name)), kind) for name, kind in _TYPE_ORDER]
    # number_type: a fixed line that is also a mobile number (or where the patterns are the
    # same) is FIXED_LINE_OR_MOBILE, a fixed line else FIXED_LINE, then MOBILE.
    if fixed is not None:
        if same:
            order.append((fixed, PhoneNumberType.FIXED_LINE_OR_MOBILE))
        else:
            if mobile is not None:
                order.append((f"(?={fixed}\\Z){mobile}", PhoneNumberType.FIXED_LINE_OR_MOBILE))
            order.append((fixed, PhoneNumberType.FIXED_LINE))
    if not same and mobile is not None:
        order.append((mobile, PhoneNumberType.MOBILE))
    alternatives = "|".join(f"(?P<t{kind}>{regex})" for regex, kind in order if regex)
    return _TypePlan(re.compile(f"(?={general}\\Z)(?:{alternatives})"))


def _quick_number_type(number: PhoneNumber) -> int:
    code = number.country_code or 0
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    region = regions[0] if len(regions) == 1 else phonenumbers.region_code_for_number(number)
    plan = _type_plan(code, region or "ZZ")
    if plan is None or number.italian_leading_zero:
        return phonenumbers.number_type(number)
    return plan.type_of(str(number.national_number))
