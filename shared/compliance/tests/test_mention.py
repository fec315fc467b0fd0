"""The STOP mention of promotional messages: added once, counted in the length."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.mention import (
    MentionError,
    MentionPolicy,
    has_optout_mention,
    mention_for,
    with_optout_mention,
)
from herald_compliance.segments import SegmentInfo, analyse


class TestMentionFor:
    def test_france_names_the_short_code(self) -> None:
        assert mention_for("FR", "36111") == "STOP au 36111"
        assert mention_for("fr", " 36111 ") == "STOP au 36111"

    @pytest.mark.parametrize("code", [None, "", "HERALD", "3611", "361111"])
    def test_france_without_a_short_code_is_refused(self, code: str | None) -> None:
        with pytest.raises(MentionError, match="short_code"):
            mention_for("FR", code)

    def test_other_countries_get_the_configured_wording(self) -> None:
        assert mention_for("US", None) == "Reply STOP to opt out"
        policy = MentionPolicy(templates={"FR": "STOP au {short_code}", "*": "STOP: {short_code}"})
        assert mention_for("BE", "8844", policy) == "STOP: 8844"
        with pytest.raises(MentionError, match="'\\*' mention template"):
            mention_for("BE", None, policy)

    @pytest.mark.parametrize(
        "templates", [{"FR": "STOP au {code}", "*": "x"}, {"FR": "STOP au {short_code}"}]
    )
    def test_a_bad_template_is_refused_when_configured(self, templates: dict[str, str]) -> None:
        with pytest.raises(MentionError):
            MentionPolicy(templates=templates)


class TestDetection:
    @pytest.mark.parametrize(
        "text",
        [
            "Soldes -20% STOP au 36111",
            "Soldes -20%\nSTOP au 36111",
            "Soldes ! Stop 36111",
            "Soldes ! STOP SMS au 36111",
            "Soldes ! stop=36180",
            "Soldes ! STOP a 36111",
            "Soldes ! Répondez STOP pour vous désabonner",
            "Sale today. Reply STOP to opt out",
            "Sale today. Text STOP to 12345",
            "Sale today, STOP to unsubscribe",
            "Promo : STOP pour ne plus recevoir",
        ],
    )
    def test_an_existing_mention_is_found(self, text: str) -> None:
        assert has_optout_mention(text)

    @pytest.mark.parametrize(
        "text",
        [
            "Don't stop the party!",
            "Stop! Les soldes commencent",
            "Nonstop deals until 36 pm",
            "Arrêt de bus 36111",
            "",
        ],
    )
    def test_a_stop_in_the_copy_is_no_mention(self, text: str) -> None:
        assert not has_optout_mention(text)


class TestWithMention:
    def test_the_mention_is_appended_and_counted(self) -> None:
        result = with_optout_mention("Soldes -20% ce week-end !", country="FR", short_code="36111")
        assert result.text == "Soldes -20% ce week-end ! STOP au 36111"
        assert result.added
        assert result.segments == SegmentInfo("GSM7", 39, 1)

    def test_an_existing_mention_is_not_doubled(self) -> None:
        text = "Soldes -20%. STOP au 36111"
        result = with_optout_mention(text, country="FR", short_code="36111")
        assert (result.text, result.added) == (text, False)

    def test_trailing_spaces_are_dropped_before_the_mention(self) -> None:
        result = with_optout_mention("Soldes  \n", country="FR", short_code="36111")
        assert result.text == "Soldes STOP au 36111"

    def test_the_mention_can_push_a_message_into_a_second_part(self) -> None:
        body = "a" * 150
        assert analyse(body).segments == 1
        result = with_optout_mention(body, country="FR", short_code="36111")
        assert result.segments == SegmentInfo("GSM7", 164, 2)

    def test_folding_applies_to_the_final_text(self) -> None:
        result = with_optout_mention("Forêt", country="FR", short_code="36111", fold=True)
        assert result.text == "Foret STOP au 36111"
        assert result.segments.encoding == "GSM7"
        unfolded = with_optout_mention("Forêt", country="FR", short_code="36111")
        assert unfolded.segments.encoding == "UCS2"

    @given(st.text(max_size=200))
    def test_the_result_always_has_a_mention_and_adding_twice_changes_nothing(
        self, text: str
    ) -> None:
        once = with_optout_mention(text, country="FR", short_code="36111")
        assert has_optout_mention(once.text)
        again = with_optout_mention(once.text, country="FR", short_code="36111")
        assert (again.text, again.added) == (once.text, False)
        assert once.segments == analyse(once.text)
