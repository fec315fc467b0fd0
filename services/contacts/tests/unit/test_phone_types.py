"""normalise_phone's additions for imports: the number type (mobile_only), French overseas
numbers written nationally, and the quick path, which must agree with phonenumbers' parser."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from herald_contacts.domain import phones
from herald_contacts.domain.phones import InvalidPhone, NotMobile, normalise_phone


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
