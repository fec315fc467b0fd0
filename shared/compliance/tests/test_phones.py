"""Phone normalisation, as every service uses it: the formats French marketers' files, web
forms, client systems and SMS gateways write; the number type (mobile_only); French overseas
numbers written nationally; bare international digits (missing_plus); and the quick path,
which must agree with phonenumbers' parser."""

from __future__ import annotations

from typing import ClassVar

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from herald_compliance import phones
from herald_compliance.phones import InvalidPhone, NotMobile, normalise_phone


class TestNormalisePhone:
    @pytest.mark.parametrize(
        "raw",
        [
            "06 12 34 56 78",
            "0612345678",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "0033612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
        ],
    )
    def test_french_mobile_formats_give_one_e164(self, raw: str) -> None:
        assert normalise_phone(raw).e164 == "+33612345678"

    @pytest.mark.parametrize(
        ("raw", "country"),
        [
            ("+262 692 12 34 56", "RE"),
            ("+590 690 12 34 56", "GP"),
            ("+596 696 12 34 56", "MQ"),
            ("+594 694 12 34 56", "GF"),
            ("+1 415 555 2671", "US"),
        ],
    )
    def test_overseas_and_foreign_numbers_keep_their_country(self, raw: str, country: str) -> None:
        assert normalise_phone(raw).country == country

    def test_a_paris_mobile_gets_the_paris_time_zone(self) -> None:
        assert normalise_phone("06 12 34 56 78").timezone == "Europe/Paris"

    def test_a_number_of_a_country_with_several_zones_gets_none(self) -> None:
        assert normalise_phone("+1 415 555 2671").timezone in (None, "America/Los_Angeles")

    @pytest.mark.parametrize("raw", ["", "hello", "12", "06 12", "+33 1", "+999 123456789"])
    def test_garbage_is_rejected(self, raw: str) -> None:
        with pytest.raises(InvalidPhone):
            normalise_phone(raw)

    @given(st.from_regex(r"06[0-24-8][0-9]{7}|07[3-9][0-9]{7}", fullmatch=True))
    def test_every_french_mobile_round_trips(self, national: str) -> None:
        result = normalise_phone(national)
        assert result.e164 == "+33" + national[1:]
        assert phonenumbers.is_valid_number(phonenumbers.parse(result.e164))


class TestForeignNumbers:
    def test_a_foreign_number_keeps_its_country(self) -> None:
        assert normalise_phone("+1 415 555 2671").e164 == "+14155552671"

    def test_the_country_code_of_the_region_may_be_written_without_a_plus(self) -> None:
        assert normalise_phone("33612345678").e164 == "+33612345678"


class TestMissingPlus:
    """Senders' numbers as gateways report them: some binds drop the `+`."""

    @pytest.mark.parametrize(
        "raw",
        ["+33612345678", "33612345678", "0612345678", "0033612345678", " +33 6 12 34 56 78 "],
    )
    def test_every_spelling_gives_one_e164(self, raw: str) -> None:
        assert normalise_phone(raw, missing_plus=True).e164 == "+33612345678"

    def test_a_foreign_number_without_its_plus(self) -> None:
        assert normalise_phone("447911123456", missing_plus=True).e164 == "+447911123456"

    def test_only_gateways_get_that_reading(self) -> None:
        with pytest.raises(InvalidPhone):
            normalise_phone("447911123456")

    @pytest.mark.parametrize("raw", ["", "HERALD", "36111", "+999123", "0447911123456"])
    def test_short_codes_and_names_are_refused(self, raw: str) -> None:
        with pytest.raises(InvalidPhone):
            normalise_phone(raw, missing_plus=True)


class TestNumberType:
    @pytest.mark.parametrize(
        ("raw", "kind"),
        [
            ("06 12 34 56 78", "mobile"),
            ("01 44 55 66 77", "landline"),
            ("0800 123 456", "toll-free"),
            ("09 70 12 34 56", "VoIP"),
            ("+1 415 555 2671", "landline or mobile"),
        ],
    )
    def test_the_kind_is_named(self, raw: str, kind: str) -> None:
        assert normalise_phone(raw).kind == kind

    @pytest.mark.parametrize("raw", ["01 44 55 66 77", "0800 123 456", "08 92 12 34 56"])
    def test_mobile_only_refuses_what_cannot_take_an_sms(self, raw: str) -> None:
        with pytest.raises(NotMobile, match="not a mobile number"):
            normalise_phone(raw, mobile_only=True)

    def test_a_number_that_may_be_a_mobile_is_kept(self) -> None:
        assert normalise_phone("+1 415 555 2671", mobile_only=True).mobile


class TestFrenchOverseasWrittenNationally:
    @pytest.mark.parametrize(
        ("raw", "e164", "country"),
        [
            ("0692 12 34 56", "+262692123456", "RE"),
            ("0690 12 34 56", "+590690123456", "GP"),
            ("0696 12 34 56", "+596696123456", "MQ"),
            ("0694 12 34 56", "+594694123456", "GF"),
        ],
    )
    def test_a_french_file_reaches_them_as_france_does(
        self, raw: str, e164: str, country: str
    ) -> None:
        phone = normalise_phone(raw, "FR", mobile_only=True)
        assert (phone.e164, phone.country) == (e164, country)

    def test_an_international_number_is_never_reinterpreted(self) -> None:
        with pytest.raises(InvalidPhone):
            normalise_phone("+33 692 12 34 56", "FR")


def _reference(text: str, region: str) -> str | None:
    """What phonenumbers' own parser makes of the text (None: not a valid number)."""
    text = text.strip().replace("(0)", "")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_separator = st.sampled_from(["", " ", ".", "-", " ", "/"])


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """Numbers as files write them: a real number of the region (its example mobile or fixed
    line with random last digits), or random digits, after a prefix (+code, 00code, 0 or
    none), grouped with separators."""
    region = draw(st.sampled_from(["FR", "RE", "GP", "BE", "CH", "DE", "IT", "ES", "GB", "US"]))
    code = str(phonenumbers.country_code_for_region(region))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = phonenumbers.national_significant_number(example) if example else "612345678"
    tail = draw(st.integers(min_value=0, max_value=min(6, len(national))))
    random_digits = draw(st.text("0123456789", min_size=tail, max_size=tail))
    digits = draw(
        st.one_of(
            st.just(national[: len(national) - tail] + random_digits),
            st.text("0123456789", min_size=6, max_size=12),
        )
    )
    prefix = draw(st.sampled_from(["+" + code, "00" + code, "0", "", "+" + code + " (0)"]))
    groups = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    return prefix + draw(_separator) + draw(_separator).join(groups), region


class TestQuickPath:
    @given(written_numbers())
    @example(("06 12 34 56 78", "FR"))
    @example(("+39 06 1234 5678", "IT"))
    @example(("0612345678", "IT"))
    @example(("612345678", "FR"))
    @example(("1 415 555 2671", "US"))
    def test_it_gives_what_phonenumbers_gives(self, case: tuple[str, str]) -> None:
        text, region = case
        quick = phones._quick_parse(text.strip().replace("(0)", ""), region)
        if quick is None or phonenumbers.number_type(quick) == phonenumbers.PhoneNumberType.UNKNOWN:
            return  # the full parser decides
        e164 = phonenumbers.format_number(quick, phonenumbers.PhoneNumberFormat.E164)
        assert e164 == _reference(text, region)

    @given(written_numbers())
    def test_normalise_agrees_with_phonenumbers_on_every_valid_number(
        self, case: tuple[str, str]
    ) -> None:
        text, region = case
        expected = _reference(text, region)
        if expected is not None:
            assert normalise_phone(text, region).e164 == expected

    @given(
        st.from_regex(r"06[0-24-8][0-9]{7}|07[3-9][0-9]{7}", fullmatch=True),
        st.lists(_separator, min_size=4),
    )
    def test_french_mobiles_in_any_layout_give_one_number(
        self, national: str, separators: list[str]
    ) -> None:
        pairs = [national[i : i + 2] for i in range(0, 10, 2)]
        written = pairs[0] + "".join(s + p for s, p in zip(separators, pairs[1:], strict=False))
        expected = "+33" + national[1:]
        assert normalise_phone(written, mobile_only=True).e164 == expected
        assert normalise_phone("+33" + written[1:]).e164 == expected
        assert normalise_phone("0033 " + written[1:]).e164 == expected
        assert normalise_phone("+33 (0)" + written).e164 == expected


class TestQuickNumberType:
    """The quick path's number type is phonenumbers' own, for every region and type."""

    @staticmethod
    def _examples() -> list[phonenumbers.PhoneNumber]:
        found = []
        for region in sorted(phonenumbers.SUPPORTED_REGIONS):
            for kind in phonenumbers.PhoneNumberType.values():
                example = phonenumbers.example_number_for_type(region, kind)
                if example is not None and not example.italian_leading_zero:
                    found.append(example)
        return found

    def test_every_example_number_of_every_region(self) -> None:
        examples = self._examples()
        assert len(examples) > 1000
        for number in examples:
            assert phones._quick_number_type(number) == phonenumbers.number_type(number), number

    @given(st.data())
    @settings(max_examples=2000, deadline=None)
    def test_neighbours_of_examples(self, data: st.DataObject) -> None:
        """Numbers one digit away from an example: valid, invalid and other types alike."""
        example = data.draw(st.sampled_from(self._cached_examples()))
        digits = list(str(example.national_number))
        position = data.draw(st.integers(0, len(digits) - 1))
        digits[position] = data.draw(st.sampled_from("0123456789"))
        if data.draw(st.booleans()):
            digits.append(data.draw(st.sampled_from("0123456789")))
        if digits[0] == "0":
            return
        number = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int("".join(digits))
        )
        assert phones._quick_number_type(number) == phonenumbers.number_type(number)

    _cache: ClassVar[list[phonenumbers.PhoneNumber]] = []

    @classmethod
    def _cached_examples(cls) -> list[phonenumbers.PhoneNumber]:
        if not cls._cache:
            cls._cache.extend(cls._examples())
        return cls._cache
