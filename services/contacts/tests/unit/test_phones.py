"""Phone normalisation: the formats French marketers' files contain."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_contacts.domain.phones import InvalidPhone, normalise_phone


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
