"""One record in, a contact's values or a precise reason out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_contacts.domain.csv_decoding import Record
from herald_contacts.domain.csv_headers import plan_columns
from herald_contacts.domain.import_rows import (
    ContactRow,
    RejectedRow,
    RowRules,
    _prefix_timezone,
    check_row,
    region_zone,
)
from herald_contacts.domain.timezones import resolve_timezone

HEADERS = ["tel", "prenom", "nom", "email", "pays", "tags", "langue", "fuseau", "statut", "pts"]
MAPPING = {"statut": "lifecycle", "pts": "attributes.points"}
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def rules(**changes: Any) -> RowRules:
    defaults: dict[str, Any] = {
        "plan": plan_columns(HEADERS, MAPPING),
        "attribute_types": {"points": "number", "vip": "boolean", "since": "date"},
        "now": NOW,
    }
    return RowRules(**{**defaults, **changes})


def check(**cells: str) -> ContactRow | RejectedRow:
    fields = [cells.get(h, "") for h in HEADERS]
    return check_row(Record(7, fields), rules())


def accepted(**cells: str) -> ContactRow:
    row = check(**cells)
    assert isinstance(row, ContactRow), row
    return row


def refused(**cells: str) -> RejectedRow:
    row = check(**cells)
    assert isinstance(row, RejectedRow), row
    return row


class TestAcceptedRows:
    def test_values_are_cleaned_and_empty_cells_are_absent(self) -> None:
        row = accepted(tel=" 06 12 34 56 78 ", prenom=" Élodie ", email="Elodie@Example.FR")
        assert (row.line, row.phone, row.country) == (7, "+33612345678", "FR")
        assert (row.timezone, row.timezone_source, row.timezone_ambiguous) == (
            "Europe/Paris",
            "phone_prefix",
            False,
        )
        assert row.first_name == "Élodie"
        assert row.email == "Elodie@example.fr"
        assert (row.last_name, row.tags, row.opted_in_at) == (None, None, None)
        assert row.attributes == {}  # the file has attribute columns: empty here

    def test_excel_formula_text_keeps_the_leading_zero(self) -> None:
        assert accepted(tel='="0612345678"').phone == "+33612345678"

    def test_the_row_country_reads_national_numbers(self) -> None:
        assert accepted(tel="0470 12 34 56", pays="Belgique").phone == "+32470123456"
        assert accepted(tel="0470 12 34 56", pays="be").phone == "+32470123456"
        assert accepted(tel="0692 12 34 56", pays="+262").country == "RE"

    def test_tags_locale_lifecycle_and_an_explicit_time_zone(self) -> None:
        row = accepted(
            tel="0612345678",
            tags="vip; fidèle | vip,",
            langue="fr_be",
            fuseau="America/Cayenne",
            statut="Client",
        )
        assert row.tags == ["fidèle", "vip"]
        assert (row.locale, row.lifecycle) == ("fr-BE", "customer")
        assert (row.timezone, row.timezone_source) == ("America/Cayenne", "explicit")
        assert accepted(tel="0612345678", langue="Français").locale == "fr"

    @pytest.mark.parametrize(
        ("cell", "value"), [("12", 12), ("1 250,50", 1250.5), ("-3.5", -3.5), ("0", 0)]
    )
    def test_numbers_in_french_and_english_formats(self, cell: str, value: float) -> None:
        assert accepted(tel="0612345678", pts=cell).attributes == {"points": value}


class TestRefusedRows:
    @pytest.mark.parametrize(
        ("cells", "column", "value", "reason"),
        [
            ({"prenom": "Jean"}, "tel", "", "phone: missing"),
            ({"tel": "06 12"}, "tel", "****", "phone: not a valid phone number for its country"),
            ({"tel": "bonjour"}, "tel", "", "phone: not a phone number"),
            (
                {"tel": "01 44 55 66 77"},
                "tel",
                "0144***677",
                "phone: not a mobile number (landline)",
            ),
            ({"tel": "0612345678", "email": "jean@"}, "email", "jean@", "email: "),
            ({"tel": "0612345678", "pays": "Zz"}, "pays", "Zz", "country: 'Zz' is not a country"),
            ({"tel": "0612345678", "langue": "klingon"}, "langue", "klingon", "locale: 'klingon'"),
            ({"tel": "0612345678", "statut": "vip"}, "statut", "vip", "lifecycle: 'vip' is not"),
            (
                {"tel": "0612345678", "fuseau": "Mars/Olympus"},
                "fuseau",
                "Mars/Olympus",
                "timezone:",
            ),
            ({"tel": "0612345678", "pts": "beaucoup"}, "pts", "beaucoup", "attributes.points:"),
            ({"tel": "0612345678", "prenom": "x" * 201}, "prenom", "x" * 100, "first_name: longer"),
        ],
    )
    def test_the_first_problem_is_named_with_its_column(
        self, cells: dict[str, str], column: str, value: str, reason: str
    ) -> None:
        row = refused(**cells)
        assert (row.line, row.column, row.value) == (7, column, value)
        assert row.reason.startswith(reason), row.reason

    def test_a_phone_is_never_repeated_in_full(self) -> None:
        assert "5566" not in refused(tel="01 44 55 66 77").value

    def test_an_undeclared_attribute(self) -> None:
        row = check_row(Record(3, ["0612345678"] + [""] * 8 + ["4"]), rules(attribute_types={}))
        assert isinstance(row, RejectedRow)
        assert row.reason == "attributes.points: unknown attribute 'points'"

    def test_too_many_values(self) -> None:
        row = check_row(Record(9, ["0612345678"] * 12), rules())
        assert isinstance(row, RejectedRow)
        assert (
            row.reason
            == "12 values where the header has 10 (a separator inside an unquoted value?)"
        )

    def test_trailing_empty_values_and_missing_trailing_columns_are_fine(self) -> None:
        assert isinstance(check_row(Record(9, ["0612345678"] + [""] * 12), rules()), ContactRow)
        assert isinstance(check_row(Record(9, ["0612345678", "Jean"]), rules()), ContactRow)

    def test_a_record_over_several_lines_with_the_wrong_shape_is_an_open_quote(self) -> None:
        row = check_row(Record(4, ["0612345678", "Jean\n06...\n06..."], lines=3), rules())
        assert isinstance(row, RejectedRow)
        assert row.reason.startswith("a quote opened on line 4 is not closed before line 6")

    def test_a_record_the_parser_gave_up_on(self) -> None:
        row = check_row(
            Record(5, [], error="unreadable CSV: field larger than field limit"), rules()
        )
        assert isinstance(row, RejectedRow)
        assert (row.line, row.reason) == (5, "unreadable CSV: field larger than field limit")


class TestTypedAttributes:
    def plan_rules(self) -> RowRules:
        plan = plan_columns(
            ["tel", "vip", "depuis"], {"vip": "attributes.vip", "depuis": "attributes.since"}
        )
        return rules(plan=plan)

    @pytest.mark.parametrize(
        ("vip", "since", "expected"),
        [
            ("oui", "03/02/2024", {"vip": True, "since": "2024-02-03"}),
            ("Non", "2024-02-03", {"vip": False, "since": "2024-02-03"}),
            ("1", "", {"vip": True}),
        ],
    )
    def test_booleans_and_dates(self, vip: str, since: str, expected: dict[str, Any]) -> None:
        row = check_row(Record(2, ["0612345678", vip, since]), self.plan_rules())
        assert isinstance(row, ContactRow)
        assert row.attributes == expected

    @pytest.mark.parametrize(("vip", "since"), [("peut-être", ""), ("oui", "31/02/2024")])
    def test_bad_values(self, vip: str, since: str) -> None:
        assert isinstance(
            check_row(Record(2, ["0612345678", vip, since]), self.plan_rules()), RejectedRow
        )


class TestConsent:
    def consent_rules(self, region: str = "FR") -> RowRules:
        plan = plan_columns(
            ["tel", "optin", "source", "texte"],
            consent_columns={"opted_in_at": "optin", "source": "source", "wording": "texte"},
        )
        return rules(plan=plan, consent_zone=region_zone(region))

    def row(self, optin: str, source: str = "", region: str = "FR") -> ContactRow | RejectedRow:
        return check_row(
            Record(2, ["0612345678", optin, source, "J'accepte"]), self.consent_rules(region)
        )

    @pytest.mark.parametrize(
        ("cell", "expected"),
        [
            ("15/03/2025 14:30", datetime(2025, 3, 15, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))),
            ("15/03/2025", datetime(2025, 3, 15, tzinfo=ZoneInfo("Europe/Paris"))),
            ("2025-03-15T14:30:00+00:00", datetime(2025, 3, 15, 14, 30, tzinfo=UTC)),
            ("2025-03-15 14:30", datetime(2025, 3, 15, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))),
        ],
    )
    def test_dates_without_an_offset_are_read_in_the_region_zone(
        self, cell: str, expected: datetime
    ) -> None:
        row = self.row(cell, "boutique")
        assert isinstance(row, ContactRow)
        assert row.opted_in_at == expected
        assert (row.consent_source, row.consent_wording) == ("boutique", "J'accepte")

    def test_reunion_dates_are_reunion_time(self) -> None:
        assert region_zone("RE") == "Indian/Reunion"
        assert region_zone("GP") == "America/Guadeloupe"

    def test_no_date_no_consent(self) -> None:
        row = self.row("", "boutique")
        assert isinstance(row, ContactRow)
        assert (row.opted_in_at, row.consent_source) == (None, None)

    def test_a_source_defaults_to_import(self) -> None:
        row = self.row("2025-01-01")
        assert isinstance(row, ContactRow)
        assert row.consent_source == "import"

    @pytest.mark.parametrize(("cell", "reason"), [("hier", "not a date"), ("2030-01-01", "future")])
    def test_bad_dates_refuse_the_row(self, cell: str, reason: str) -> None:
        row = self.row(cell)
        assert isinstance(row, RejectedRow)
        assert reason in row.reason


@given(
    st.from_regex(r"06[0-24-8][0-9]{7}|07[3-9][0-9]{7}", fullmatch=True),
    st.sampled_from(["{}", "+33 {}", "0033{}", '="{}"', " {} ", "+33 (0){}"]),
)
def test_every_valid_french_mobile_in_any_writing_gives_the_same_contact(
    national: str, layout: str
) -> None:
    written = layout.format(national[1:] if layout.startswith(("+", "00")) else national)
    if "(0)" in layout:
        written = layout.format(national[1:])
    first = check_row(Record(2, [national]), rules(plan=plan_columns(["tel"])))
    again = check_row(Record(2, [written]), rules(plan=plan_columns(["tel"])))
    assert isinstance(first, ContactRow)
    assert isinstance(again, ContactRow)
    assert again.phone == first.phone == "+33" + national[1:]


@given(
    st.sampled_from(["FR", "RE", "YT", "GP", "BE", "US", "CA", "GB", "ES", "BR", "RU", "AU"]),
    st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]),
    st.integers(min_value=0, max_value=9999),
)
def test_the_kept_time_zone_answer_is_the_one_resolve_timezone_gives(
    region: str, kind: int, tail: int
) -> None:
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = phonenumbers.national_significant_number(example)
    e164 = f"+{example.country_code}{national[:-4]}{tail:04d}"
    try:
        phone = normalise_phone(e164)
    except InvalidPhone:
        return
    assert _prefix_timezone(phone) == resolve_timezone(None, e164)


_atom = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-_.!#'", min_size=0)
_label = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=0)


@given(
    st.one_of(
        st.builds(
            lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
            _atom,
            st.lists(_label, min_size=1, max_size=3),
            st.sampled_from(["fr", "COM", "re", "local", "test", "c0m", "x", "xn--p1ai", "onion"]),
        ),
        st.text(max_size=30),
    )
)
def test_the_quick_email_check_agrees_with_email_validator(address: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from herald_contacts.domain.import_rows import _plain_email

    quick = _plain_email(address)
    if quick is None:
        return  # email-validator decides
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    assert quick == expected
