"""Templates: the variables marketers use, and errors that say what and where."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_campaigns.domain.templates import (
    TemplateError,
    Text,
    UnknownVariable,
    Variable,
    parse,
)


class TestParse:
    def test_text_and_variables_become_parts(self) -> None:
        template = parse("Bonjour {{first_name}} {{ last_name }} !")
        assert template.parts == (
            Text("Bonjour "),
            Variable("first_name"),
            Text(" "),
            Variable("last_name"),
            Text(" !"),
        )
        assert template.variables == {"first_name", "last_name"}

    def test_a_fallback_follows_a_bar(self) -> None:
        assert parse("{{first_name|client}}").parts == (Variable("first_name", "client"),)
        assert parse("{{ first_name | cher client }}").parts == (
            Variable("first_name", "cher client"),
        )

    @given(st.text(alphabet=st.characters(blacklist_characters="{}")))
    def test_text_without_braces_renders_unchanged(self, text: str) -> None:
        assert parse(text).render({}) == text

    def test_single_braces_are_plain_text(self) -> None:
        assert parse("a { b } c").render({}) == "a { b } c"


class TestErrors:
    def test_an_unknown_variable_is_named_with_its_position(self) -> None:
        with pytest.raises(UnknownVariable) as caught:
            parse("Bonjour {{prenom}} !")
        assert caught.value.variable == "prenom"
        assert caught.value.position == 11
        assert "'prenom' at position 11" in str(caught.value)
        assert "first_name, last_name" in str(caught.value)

    def test_the_position_points_at_the_name_past_spaces(self) -> None:
        with pytest.raises(UnknownVariable) as caught:
            parse("{{  city}}")
        assert caught.value.position == 5

    @pytest.mark.parametrize(
        ("source", "problem", "position"),
        [
            ("Bonjour {{first_name", "'{{' is never closed by '}}'", 9),
            ("Bonjour first_name}} !", "'}}' without an opening '{{'", 19),
            ("{{first_name {{last_name}}", "'{{' is not closed before the next '{{'", 1),
            ("Hi {{}}", "empty variable name in '{{...}}'", 4),
            ("Hi {{ | x }}", "empty variable name in '{{...}}'", 4),
            ("Hi {{first name}}", "invalid variable name 'first name'", 6),
            ("{{{first_name}}}", "invalid variable name '{first_name'", 3),
            ("{{first_name|a{b}}", "a brace is not allowed in the fallback of 'first_name'", 15),
        ],
    )
    def test_malformed_braces_name_the_position(
        self, source: str, problem: str, position: int
    ) -> None:
        with pytest.raises(TemplateError) as caught:
            parse(source)
        assert caught.value.problem == problem
        assert caught.value.position == position

    def test_errors_are_value_errors_for_pydantic(self) -> None:
        with pytest.raises(ValueError, match="position"):
            parse("{{x}}")


class TestRender:
    def test_values_are_put_in_place(self) -> None:
        template = parse("Bonjour {{first_name}} {{last_name}}, -20% ce week-end !")
        text = template.render({"first_name": "Élodie", "last_name": "Martin"})
        assert text == "Bonjour Élodie Martin, -20% ce week-end !"

    @pytest.mark.parametrize("missing", [None, "", "   "])
    def test_a_missing_value_takes_the_fallback(self, missing: str | None) -> None:
        template = parse("Bonjour {{first_name|client}} !")
        assert template.render({"first_name": missing}) == "Bonjour client !"

    def test_a_missing_value_without_fallback_is_empty(self) -> None:
        assert parse("Bonjour {{first_name}}!").render({}) == "Bonjour !"

    def test_values_are_trimmed(self) -> None:
        assert parse("{{first_name}}.").render({"first_name": "  Léa "}) == "Léa."

    def test_a_value_holding_braces_is_not_interpreted(self) -> None:
        assert parse("{{first_name}}").render({"first_name": "{{last_name}}"}) == "{{last_name}}"
