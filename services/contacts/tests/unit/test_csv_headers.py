"""Recognising columns: French and English headers, an explicit mapping first."""

from __future__ import annotations

import pytest

from herald_contacts.domain.csv_headers import HeaderProblem, normalise_header, plan_columns


class TestNormaliseHeader:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("  Téléphone ", "telephone"),
            ("N° de tél.", "n tel"),
            ("E-MAIL", "e mail"),
            ("Prénom", "prenom"),
            ("First_Name", "first name"),
            ("Numéro de téléphone portable", "numero telephone portable"),
        ],
    )
    def test_case_accents_punctuation_and_stop_words_do_not_count(
        self, raw: str, normalised: str
    ) -> None:
        assert normalise_header(raw) == normalised


class TestRecognition:
    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            (
                ["Téléphone", "Prénom", "Nom", "Courriel", "Pays", "Étiquettes", "Langue"],
                ["phone", "first_name", "last_name", "email", "country", "tags", "locale"],
            ),
            (
                ["Phone number", "First name", "Last name", "E-mail", "Country", "Tags"],
                ["phone", "first_name", "last_name", "email", "country", "tags"],
            ),
            (["PORTABLE", "prenom", "NOM"], ["phone", "first_name", "last_name"]),
            (["numéro", "firstname", "lastname"], ["phone", "first_name", "last_name"]),
            (["tel", "Fuseau horaire", "Listes"], ["phone", "timezone", "lists"]),
            (["mobile", "Cycle de vie"], ["phone", "lifecycle"]),
        ],
    )
    def test_common_headers(self, headers: list[str], expected: list[str]) -> None:
        plan = plan_columns(headers)
        assert [plan.targets[i] for i in range(len(headers))] == expected

    def test_a_mobile_column_wins_over_a_generic_phone_column(self) -> None:
        plan = plan_columns(["Téléphone fixe", "Téléphone", "Portable"])
        assert plan.phone == 2
        assert plan.ignored() == ["Téléphone fixe", "Téléphone"]

    def test_two_equally_likely_phone_columns_are_ambiguous(self) -> None:
        with pytest.raises(HeaderProblem, match="'Tel' and 'Téléphone' both look like the phone"):
            plan_columns(["Tel", "Téléphone", "Nom"])

    def test_unknown_columns_are_ignored(self) -> None:
        plan = plan_columns(["tel", "Ville", "Notes"])
        assert plan.describe() == {"tel": "phone"}
        assert plan.ignored() == ["Ville", "Notes"]

    def test_no_phone_column_lists_the_headers_and_the_way_out(self) -> None:
        with pytest.raises(HeaderProblem) as problem:
            plan_columns(["Prénom", "Ville"])
        assert problem.value.field == "file"
        assert "'Prénom', 'Ville'" in str(problem.value)
        assert 'mapping={"<column>": "phone"}' in str(problem.value)


class TestMapping:
    def test_the_mapping_wins_and_the_rest_is_recognised(self) -> None:
        plan = plan_columns(
            ["Contact", "Prénom", "Téléphone", "Points"],
            {"Contact": "phone", "Téléphone": "ignore", "Points": "attributes.points"},
        )
        assert plan.describe() == {
            "Contact": "phone",
            "Prénom": "first_name",
            "Points": "attributes.points",
        }
        assert plan.attributes == {"points": 3}

    def test_a_mapped_column_is_found_without_case_or_accents(self) -> None:
        assert plan_columns(["Téléphone"], {"telephone": "phone"}).phone == 0

    @pytest.mark.parametrize(
        ("mapping", "message"),
        [
            ({"Fax": "phone"}, "mapping: no column 'Fax' in the file (columns: 'tel', 'nom')"),
            ({"nom": "surname"}, "mapping: column 'nom': 'surname' is not a contact field"),
            ({"nom": "attributes.Bad-Name"}, "mapping: column 'nom': 'attributes.Bad-Name'"),
            ({"tel": "phone", "nom": "phone"}, "mapping: two columns are mapped to 'phone'"),
        ],
    )
    def test_mistakes_name_the_parameter(self, mapping: dict[str, str], message: str) -> None:
        with pytest.raises(HeaderProblem, match=message.replace("(", r"\(").replace(")", r"\)")):
            plan_columns(["tel", "nom"], mapping)

    def test_the_country_column(self) -> None:
        plan = plan_columns(["tel", "Land"], country_column="land")
        assert plan.index_of("country") == 1
        with pytest.raises(HeaderProblem, match="country_column: conflicts"):
            plan_columns(["tel", "Pays", "Land"], {"Pays": "country"}, country_column="Land")


class TestConsentColumns:
    def test_declared_consent_columns(self) -> None:
        plan = plan_columns(
            ["tel", "Date opt-in", "Source"],
            consent_columns={"opted_in_at": "Date opt-in", "source": "Source"},
        )
        assert plan.consent == {"opted_in_at": 1, "source": 2}
        assert plan.describe()["Date opt-in"] == "consent.opted_in_at"

    @pytest.mark.parametrize(
        ("columns", "message"),
        [
            ({"source": "Source"}, "opted_in_at is required"),
            ({"opted_in_at": "Source", "when": "Source"}, "unknown role 'when'"),
            ({"opted_in_at": "tel"}, "also used for another field"),
            ({"opted_in_at": "Source", "source": "Source"}, "also used for another field"),
        ],
    )
    def test_mistakes(self, columns: dict[str, str], message: str) -> None:
        with pytest.raises(HeaderProblem, match=f"consent_columns: .*{message}"):
            plan_columns(["tel", "Source"], {"tel": "phone"}, consent_columns=columns)
