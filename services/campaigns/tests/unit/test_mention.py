"""The STOP mention added when a campaign's text is rendered."""

from __future__ import annotations

import uuid

import pytest

from herald_campaigns.domain.audience import Recipient, plan_messages
from herald_campaigns.domain.mention import MentionPolicy, mention_country, with_mention
from herald_campaigns.domain.templates import parse
from herald_compliance.gate import ConsentView


@pytest.mark.parametrize(
    ("text", "phone", "expected"),
    [
        ("Soldes -20%", "+33612345678", "Soldes -20% STOP au 36111"),
        ("Soldes -20% STOP au 36111", "+33612345678", "Soldes -20% STOP au 36111"),
        ("Soldes ! Répondez STOP", "+33612345678", "Soldes ! Répondez STOP"),
        ("Promo", "+262692123456", "Promo STOP au 36111"),  # Réunion: the French mention
        ("Sale -20%", "+447911123456", "Sale -20% Reply STOP to opt out"),
    ],
)
def test_marketing_texts_end_with_one_mention(text: str, phone: str, expected: str) -> None:
    assert with_mention(text, "marketing", phone, "36111") == expected


def test_transactional_texts_get_none() -> None:
    assert with_mention("Votre code : 4242", "transactional", "+33612345678", "36111") == (
        "Votre code : 4242"
    )


def test_without_a_short_code_french_texts_are_sent_as_written() -> None:
    assert with_mention("Soldes", "marketing", "+33612345678", None) == "Soldes"


def test_overseas_numbers_take_the_french_mention() -> None:
    assert mention_country("+590690123456") == "FR"
    assert mention_country("+12125550123") == "US"


def test_a_workspace_short_code_wins_over_the_default() -> None:
    policy = MentionPolicy("36111", {"acme": "38222"})
    assert (policy.short_code("acme"), policy.short_code("other")) == ("38222", "36111")


def test_planned_messages_carry_the_final_text() -> None:
    recipient = Recipient(uuid.uuid4(), "+33612345678", "Élodie")
    consent = {"+33612345678": ConsentView({("marketing", "*"): "opted_in"})}
    (planned,) = plan_messages(
        campaign_id=uuid.uuid4(),
        category="marketing",
        brand="default",
        template=parse("Bonjour {{first_name}}"),
        recipients=[recipient],
        consents=consent,
        short_code="36111",
    )
    assert planned.text == "Bonjour Élodie STOP au 36111"
