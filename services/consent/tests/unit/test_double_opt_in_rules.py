"""Double opt-in rules without IO: what a "yes" is, expiry, texts; and what START restores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from herald_consent.domain import double_opt_in as rules
from herald_consent.domain.keyword_opt_in import restores
from herald_consent.settings import DoubleOptInSettings

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("OUI", "OUI"),
        ("oui", "OUI"),
        ("Oui !", "OUI"),
        ("  « oui » ", "OUI"),
        ("OUÎ", "OUI"),
        ("o u i", "OUI"),
        ("oui merci", "OUI"),
        ("Bonjour, oui svp", "OUI"),
        ("ok oui", "OUI"),
        ("oui oui", "OUI"),
        ("YES", "YES"),
        ("yes please", "YES"),
        ("Yes!", "YES"),
        ("y", "Y"),
        ("Y.", "Y"),
        ("y-e-s", "YES"),
    ],
)
def test_a_yes_confirms(text: str, word: str) -> None:
    assert rules.confirmation_of(text) == word


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "O",  # no settled convention, too easily a typo
        "0",
        "NON",
        "no",
        "oui non",
        "oui mais pas le dimanche",
        "ok",
        "merci",
        "STOP",
        "START",
        "yes stop",
        "OUIII",
        "youpi",
    ],
)
def test_anything_else_confirms_nothing(text: str) -> None:
    assert rules.confirmation_of(text) is None


class TestExpiry:
    def test_the_request_expires_after_the_configured_time(self) -> None:
        assert rules.expires_at(T0, 48 * 3600) == T0 + timedelta(hours=48)

    def test_an_answer_counts_from_the_request_until_just_before_expiry(self) -> None:
        expires = rules.expires_at(T0, 3600)
        assert rules.accepts(T0, expires, T0)
        assert rules.accepts(T0, expires, expires - timedelta(microseconds=1))
        assert not rules.accepts(T0, expires, expires)
        assert not rules.accepts(T0, expires, T0 - timedelta(seconds=1))  # before the request

    @pytest.mark.parametrize(
        ("status", "now", "shown"),
        [
            ("pending", T0, "pending"),
            ("pending", T0 + timedelta(hours=1), "expired"),
            ("confirmed", T0 + timedelta(days=9), "confirmed"),
            ("superseded", T0, "superseded"),
        ],
    )
    def test_a_pending_request_past_expiry_reads_expired(
        self, status: str, now: datetime, shown: str
    ) -> None:
        assert rules.shown_status(status, T0 + timedelta(hours=1), now) == shown


class TestTexts:
    def test_french_by_default_english_by_language(self) -> None:
        templates = DoubleOptInSettings().templates()
        fr = templates.render(templates.language(None), "Acme", None)
        assert fr == "Répondez OUI pour confirmer votre inscription aux SMS de Acme."
        assert templates.language("en-GB") == "en"
        assert templates.language("EN_us") == "en"
        assert templates.language("de") == "fr"
        en = templates.render("en", "Acme", "https://x.test/c")
        assert en == (
            "Reply YES or open https://x.test/c to confirm your subscription to Acme text messages."
        )

    def test_an_unknown_placeholder_is_refused_at_configuration(self) -> None:
        with pytest.raises(ValidationError, match="unknown placeholder"):
            DoubleOptInSettings(texts={"fr": "{brand} : -{promo}% ! Répondez OUI"})

    def test_a_link_text_without_the_link_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="link"):
            DoubleOptInSettings(link_texts={"fr": "Répondez OUI ({brand})"})

    def test_the_sender_is_the_workspace_short_code(self) -> None:
        config = DoubleOptInSettings(short_code="36111", short_codes={"acme": "36222"})
        assert config.sender_for("acme") == "36222"
        assert config.sender_for("other") == "36111"
        assert config.brand_name("default") == "Herald"
        assert DoubleOptInSettings(brand_names={"acme": "Acme"}).brand_name("acme") == "Acme"


class TestKeywordOptIn:
    def test_start_restores_a_marketing_opt_in_the_stop_removed(self) -> None:
        assert restores("marketing", True, ["opt_in", "opt_out"])
        assert restores("marketing", True, ["opt_out", "opt_in", "opt_out", "opt_out"])

    def test_start_never_creates_marketing_consent(self) -> None:
        assert not restores("marketing", True, ["opt_out"])
        assert not restores("marketing", True, [])  # erased: the history before is gone

    def test_start_lifts_a_transactional_opt_out(self) -> None:
        assert restores("transactional", True, ["opt_out"])

    def test_nothing_to_lift_without_an_opt_out(self) -> None:
        assert not restores("marketing", False, ["opt_in"])
        assert not restores("transactional", False, [])
