"""A message's final text and its cost: render, fold, STOP mention, count (domain/compose.py),
the code both expansion and the preview run."""

from __future__ import annotations

import uuid

import pytest

from herald_campaigns.domain.audience import Recipient, plan_messages
from herald_campaigns.domain.compose import compose, final_text, non_gsm_characters
from herald_campaigns.domain.mention import mention_region
from herald_campaigns.domain.templates import parse
from herald_compliance.gate import ConsentView
from herald_compliance.mention import mention_for
from herald_compliance.segments import is_gsm7

MENTION = " STOP au 36111"  # 14 septets


class TestGsm7:
    def test_plain_text_with_the_mention_is_one_gsm7_part(self) -> None:
        composed = compose(
            "Bonjour Élodie, -20% !", category="marketing", country="FR", short_code="36111"
        )
        assert composed.text == "Bonjour Élodie, -20% !" + MENTION
        assert composed.mention_added is True
        assert (composed.encoding, composed.units, composed.segments) == ("GSM-7", 36, 1)
        assert composed.per_segment == 160
        assert composed.non_gsm_characters == ()

    def test_extension_characters_count_two_septets(self) -> None:
        composed = compose("10€ [promo]", category="transactional", country="FR", short_code=None)
        # 1 0 € € [ [ p r o m o ] ] : three extension characters, each ESC + code
        assert (composed.encoding, composed.units) == ("GSM-7", 11 + 3)

    @pytest.mark.parametrize(
        ("body", "units", "segments", "per_segment"),
        [
            ("a" * 146, 160, 1, 160),  # exactly one SMS with the mention
            ("a" * 147, 161, 2, 153),  # one septet more: two parts of 153
            ("€" * 73, 160, 1, 160),  # 73 x 2 + 14
            ("a" * 145 + "€", 161, 2, 153),  # the escape pair tips it over
        ],
    )
    def test_the_mention_counts_in_the_length(
        self, body: str, units: int, segments: int, per_segment: int
    ) -> None:
        composed = compose(body, category="marketing", country="FR", short_code="36111")
        assert composed.text.endswith(MENTION)
        assert (composed.units, composed.segments, composed.per_segment) == (
            units,
            segments,
            per_segment,
        )


class TestUcs2:
    def test_an_emoji_forces_ucs2_and_counts_two_units(self) -> None:
        composed = compose("Soldes 🎉 !", category="marketing", country="FR", short_code="36111")
        assert composed.text == "Soldes 🎉 !" + MENTION
        assert composed.encoding == "UCS-2"
        assert composed.units == len("Soldes  !") + 2 + len(MENTION)
        assert (composed.segments, composed.per_segment) == (1, 70)
        assert composed.non_gsm_characters == ("🎉",)

    def test_a_long_ucs2_text_is_cut_in_parts_of_67(self) -> None:
        composed = compose("ê" * 71, category="transactional", country="FR", short_code=None)
        assert (composed.encoding, composed.units, composed.segments) == ("UCS-2", 71, 2)
        assert composed.per_segment == 67

    def test_non_gsm_characters_are_listed_once_in_order(self) -> None:
        assert non_gsm_characters("Forêt « été » forêt ’") == ("ê", "«", "»", "’")
        assert non_gsm_characters("Déjà 10€ {ok}") == ()


class TestFolding:
    TEXT = "Forêt de Noël : l’offre « spéciale » à 10€ – ça part vite…"

    def test_without_folding_one_accent_makes_the_whole_text_ucs2(self) -> None:
        composed = compose(self.TEXT, category="marketing", country="FR", short_code="36111")
        assert composed.encoding == "UCS-2"
        assert composed.text == self.TEXT + MENTION
        assert composed.non_gsm_characters == ("ê", "ë", "’", "«", "»", "–", "ç", "…")

    def test_folding_keeps_gsm7_letters_and_replaces_the_others(self) -> None:
        composed = compose(
            self.TEXT, category="marketing", country="FR", short_code="36111", fold=True
        )
        assert composed.text == (
            'Foret de Noel : l\'offre " spéciale " à 10€ - Ça part vite...' + MENTION
        )
        assert composed.encoding == "GSM-7"
        assert composed.per_segment == 160
        assert composed.non_gsm_characters == ()
        assert composed.units == len(composed.text) + 1  # € costs two septets

    def test_what_has_no_look_alike_stays_and_keeps_the_text_ucs2(self) -> None:
        composed = compose(
            "Forêt 🌲", category="marketing", country="FR", short_code="36111", fold=True
        )
        assert composed.text == "Foret 🌲" + MENTION
        assert composed.encoding == "UCS-2"
        assert composed.non_gsm_characters == ("🌲",)

    def test_the_text_is_folded_before_the_mention_is_looked_for(self) -> None:
        # The template's own mention, folded, is still a mention: nothing is appended.
        text, added = final_text(
            "Soldes ! Répondez STOP au 36111",
            category="marketing",
            country="FR",
            short_code="36111",
            fold=True,
        )
        assert (text, added) == ("Soldes ! Répondez STOP au 36111", False)

    def test_transactional_texts_are_folded_and_get_no_mention(self) -> None:
        composed = compose(
            "Votre colis arrive à 14h – merci",
            category="transactional",
            country="FR",
            short_code="36111",
            fold=True,
        )
        assert composed.text == "Votre colis arrive à 14h - merci"
        assert composed.mention_added is False

    @pytest.mark.parametrize("country", ["FR", "GB", "US", "DE"])
    def test_every_default_mention_is_gsm7(self, country: str) -> None:
        """A mention never forces UCS-2 on its own, folding or not."""
        assert is_gsm7(mention_for(country, "36111"))
        composed = compose("Promo", category="marketing", country=country, short_code="36111")
        assert composed.encoding == "GSM-7"


class TestMention:
    def test_overseas_territories_take_the_french_mention(self) -> None:
        assert mention_region("re") == "FR"
        assert mention_region("GP") == "FR"
        assert mention_region("gb") == "GB"
        composed = compose("Promo", category="marketing", country="RE", short_code="36111")
        assert composed.text == "Promo" + MENTION

    def test_elsewhere_the_general_wording(self) -> None:
        composed = compose("Sale", category="marketing", country="GB", short_code="36111")
        assert composed.text == "Sale Reply STOP to opt out"

    def test_france_without_a_short_code_sends_the_text_as_written(self) -> None:
        composed = compose("Promo", category="marketing", country="FR", short_code=None)
        assert (composed.text, composed.mention_added) == ("Promo", False)

    def test_an_existing_mention_is_not_doubled(self) -> None:
        composed = compose(
            "Promo STOP au 36111", category="marketing", country="FR", short_code="36111"
        )
        assert (composed.text, composed.mention_added) == ("Promo STOP au 36111", False)


@pytest.mark.parametrize(
    ("fold", "expected"),
    [
        (True, "Bonjour Anais Benoit, la foret vous attend" + MENTION),
        (False, "Bonjour Anaïs Benoît, la forêt vous attend" + MENTION),
    ],
)
def test_expansion_plans_the_text_composed_the_same_way(fold: bool, expected: str) -> None:
    recipient = Recipient(uuid.uuid4(), "+33612345678", "Anaïs", "Benoît")
    (planned,) = plan_messages(
        campaign_id=uuid.uuid4(),
        category="marketing",
        brand="default",
        template=parse("Bonjour {{first_name}} {{last_name}}, la forêt vous attend"),
        recipients=[recipient],
        consents={recipient.phone: ConsentView({("marketing", "*"): "opted_in"})},
        short_code="36111",
        fold=fold,
    )
    assert planned.text == expected
