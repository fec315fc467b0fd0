"""The opt-out engine: a keyword matrix in French and English, the policy switches, scope and
the reply templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.optout import (
    DEFAULT_POLICY,
    OptoutPolicy,
    OptoutResult,
    Replies,
    evaluate,
    reply_kind_for,
)
from herald_compliance.segments import analyse

# (text as sent, kind, matched, language, rule)
MATRIX = [
    # French opt-out keywords: case, accents, punctuation, spacing
    ("STOP", "opt_out", "STOP", "fr", "keyword"),
    ("stop", "opt_out", "STOP", "fr", "keyword"),
    ("Stop.", "opt_out", "STOP", "fr", "keyword"),
    ("STOP!!!", "opt_out", "STOP", "fr", "keyword"),
    ("  stop  ", "opt_out", "STOP", "fr", "keyword"),
    ("« STOP »", "opt_out", "STOP", "fr", "keyword"),
    (" s t o p", "opt_out", "STOP", "fr", "keyword"),
    ("S.T.O.P", "opt_out", "STOP", "fr", "keyword"),
    ("ｓｔｏｐ", "opt_out", "STOP", "fr", "keyword"),
    ("Arrêt", "opt_out", "ARRET", "fr", "keyword"),
    ("ARRET", "opt_out", "ARRET", "fr", "keyword"),
    ("arrêt !", "opt_out", "ARRET", "fr", "keyword"),
    ("Désabonner", "opt_out", "DESABONNER", "fr", "keyword"),
    ("DESABONNER", "opt_out", "DESABONNER", "fr", "keyword"),
    ("désinscrire", "opt_out", "DESINSCRIRE", "fr", "keyword"),
    ("Désinscription.", "opt_out", "DESINSCRIPTION", "fr", "keyword"),
    ("STOP SMS", "opt_out", "STOP SMS", "fr", "keyword"),
    ("stop-sms", "opt_out", "STOP SMS", "fr", "keyword"),
    # keyword and courtesy words
    ("stop svp", "opt_out", "STOP", "fr", "keyword_courteous"),
    ("STOP merci", "opt_out", "STOP", "fr", "keyword_courteous"),
    ("Merci, STOP.", "opt_out", "STOP", "fr", "keyword_courteous"),
    ("Bonjour, stop s'il vous plaît", "opt_out", "STOP", "fr", "keyword_courteous"),
    ("Arrêt svp merci beaucoup", "opt_out", "ARRET", "fr", "keyword_courteous"),
    ("STOP STOP STOP", "opt_out", "STOP", "fr", "keyword_courteous"),
    ("désabonner, merci", "opt_out", "DESABONNER", "fr", "keyword_courteous"),
    # a strong word opening a short message
    ("STOP au 36111", "opt_out", "STOP", "fr", "keyword_leading"),
    ("stop les sms svp", "opt_out", "STOP", "fr", "keyword_leading"),
    ("Arrêt des pubs", "opt_out", "ARRET", "fr", "keyword_leading"),
    # French phrases (default policy: treat as opt-out)
    ("Je ne veux plus recevoir vos messages", "opt_out", "NE VEUX PLUS RECEVOIR", "fr", "phrase"),
    ("merci de ne plus m'envoyer de SMS", "opt_out", "NE PLUS M ENVOYER", "fr", "phrase"),
    ("Ne m'envoyez plus rien", "opt_out", "NE M ENVOYEZ PLUS", "fr", "phrase"),
    ("Arrêtez de m'écrire !", "opt_out", "ARRETEZ DE M ECRIRE", "fr", "phrase"),
    ("c'est un mauvais numéro", "opt_out", "MAUVAIS NUMERO", "fr", "phrase"),
    ("Désinscrivez-moi", "opt_out", "DESINSCRIVEZ MOI", "fr", "phrase"),
    # English opt-out keywords
    ("STOPALL", "opt_out", "STOPALL", "en", "keyword"),
    ("Unsubscribe", "opt_out", "UNSUBSCRIBE", "en", "keyword"),
    ("cancel", "opt_out", "CANCEL", "en", "keyword"),
    ("END.", "opt_out", "END", "en", "keyword"),
    ("Quit", "opt_out", "QUIT", "en", "keyword"),
    ("revoke", "opt_out", "REVOKE", "en", "keyword"),
    ("OPTOUT", "opt_out", "OPTOUT", "en", "keyword"),
    ("opt out", "opt_out", "OPT OUT", "en", "keyword"),
    ("Opt-Out!", "opt_out", "OPT OUT", "en", "keyword"),
    ("remove", "opt_out", "REMOVE", "en", "keyword"),
    ("please stop", "opt_out", "STOP", "en", "keyword_courteous"),
    ("Stop please, thank you", "opt_out", "STOP", "en", "keyword_courteous"),
    ("cancel please", "opt_out", "CANCEL", "en", "keyword_courteous"),
    ("STOPALL now", "opt_out", "STOPALL", "en", "keyword_courteous"),
    ("unsubscribe me", "opt_out", "UNSUBSCRIBE", "en", "keyword_leading"),
    ("stop it", "opt_out", "STOP", "fr", "keyword_leading"),
    # English phrases
    ("Don't text me", "opt_out", "DON T TEXT ME", "en", "phrase"),
    ("Please don’t text me again", "opt_out", "DON T TEXT ME", "en", "phrase"),
    ("Wrong number", "opt_out", "WRONG NUMBER", "en", "phrase"),
    ("you have the wrong number mate", "opt_out", "WRONG NUMBER", "en", "phrase"),
    ("remove me from your list", "opt_out", "REMOVE ME", "en", "phrase"),
    ("take me off this list", "opt_out", "TAKE ME OFF", "en", "phrase"),
    ("I want to opt out of these", "opt_out", "WANT TO OPT OUT", "en", "phrase"),
    # opt-in and help
    ("START", "opt_in", "START", "en", "keyword"),
    ("Unstop", "opt_in", "UNSTOP", "en", "keyword"),
    ("start please", "opt_in", "START", "en", "keyword_courteous"),
    ("HELP", "help", "HELP", "en", "keyword"),
    ("help?", "help", "HELP", "en", "keyword"),
    ("Aide", "help", "AIDE", "fr", "keyword"),
    ("AIDE svp", "help", "AIDE", "fr", "keyword_courteous"),
    ("info", "help", "INFO", "fr", "keyword"),
    ("info please", "help", "INFO", "en", "keyword_courteous"),
    # a strong word inside a longer message: a person decides
    ("Stop by our store tomorrow", "review", "STOP", "fr", "keyword_in_sentence"),
    (
        "I'll stop by your store tomorrow to pick it up",
        "review",
        "STOP",
        "fr",
        "keyword_in_sentence",
    ),
    ("Comment je fais pour me desabonner de la liste", "opt_out", "ME DESABONNER", "fr", "phrase"),
    ("je vais unsubscribe de tout ça demain", "review", "UNSUBSCRIBE", "en", "keyword_in_sentence"),
]

ORDINARY = [
    "",
    "   ",
    "?!",
    "OUI",
    "yes",
    "Y",
    "ok",
    "merci",
    "Bonjour, à quelle heure ouvrez-vous ?",
    "cancel my order",
    "end of the day",
    "help me with my order",
    "start again",
    "Quit smoking with us",
    "nonstop",
    "stopper",
    "arrêtez",
    "J'adore vos produits",
    "1234",
    "😀",
]


class TestMatrix:
    @pytest.mark.parametrize(("text", "kind", "matched", "language", "rule"), MATRIX)
    def test_what_a_message_asks(
        self, text: str, kind: str, matched: str, language: str, rule: str
    ) -> None:
        result = evaluate(text)
        assert (result.kind, result.matched, result.language, result.rule) == (
            kind,
            matched,
            language,
            rule,
        )

    @pytest.mark.parametrize("text", ORDINARY)
    def test_ordinary_messages_ask_nothing(self, text: str) -> None:
        assert evaluate(text) == OptoutResult(kind="none")

    @given(st.text(max_size=60))
    def test_never_fails(self, text: str) -> None:
        assert evaluate(text).kind in ("opt_out", "opt_in", "help", "review", "none")

    @given(st.sampled_from([m for m in MATRIX if m[4] == "keyword"]), st.sampled_from("!.? "))
    def test_trailing_punctuation_changes_nothing(
        self, row: tuple[str, str, str, str, str], tail: str
    ) -> None:
        text, kind, matched, _language, _rule = row
        result = evaluate(text + tail * 3)
        assert (result.kind, result.matched) == (kind, matched)


class TestLanguage:
    def test_a_shared_keyword_takes_the_hint(self) -> None:
        assert evaluate("STOP", language_hint="en").language == "en"
        assert evaluate("STOP", language_hint="de").language == "fr"  # not one of STOP's

    def test_a_shared_keyword_takes_the_default_language_without_a_hint(self) -> None:
        assert evaluate("STOP", policy=OptoutPolicy(default_language="en")).language == "en"

    def test_courtesy_words_beat_the_hint(self) -> None:
        assert evaluate("stop merci", language_hint="en").language == "fr"


class TestPhrasePolicy:
    def test_review_policy_queues_phrases(self) -> None:
        policy = OptoutPolicy(phrase_policy="review")
        result = evaluate("wrong number", policy=policy)
        assert (result.kind, result.rule, result.matched) == ("review", "phrase", "WRONG NUMBER")

    def test_review_policy_leaves_keywords_alone(self) -> None:
        policy = OptoutPolicy(phrase_policy="review")
        assert evaluate("Stop merci", policy=policy).kind == "opt_out"
        assert evaluate("STOP au 36111", policy=policy).kind == "opt_out"

    def test_a_keyword_in_a_sentence_is_never_an_opt_out(self) -> None:
        for policy in (DEFAULT_POLICY, OptoutPolicy(phrase_policy="review")):
            assert evaluate("Stop by our store for the sale", policy=policy).kind == "review"

    def test_review_of_sentences_can_be_switched_off(self) -> None:
        policy = OptoutPolicy(review_keyword_in_sentence=False)
        assert evaluate("Stop by our store for the sale", policy=policy).kind == "none"

    def test_leading_words_can_be_made_stricter(self) -> None:
        policy = OptoutPolicy(leading_extra_words=0)
        assert evaluate("STOP au 36111", policy=policy).kind == "review"

    def test_phrases_and_courtesy_are_configurable(self) -> None:
        policy = OptoutPolicy(phrases={"fr": ("CA SUFFIT",)}, courtesy={"fr": ("BISOUS",)})
        assert evaluate("ça suffit", policy=policy).kind == "opt_out"
        assert evaluate("stop bisous", policy=policy).rule == "keyword_courteous"
        assert evaluate("don't text me", policy=policy).kind == "none"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"phrase_policy": "ignore"}, "phrase_policy"),
            ({"scope": "everything"}, "scope"),
            ({"leading_extra_words": -1}, "leading_extra_words"),
        ],
    )
    def test_a_bad_policy_is_refused_when_configured(
        self, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            OptoutPolicy(**kwargs)  # type: ignore[arg-type]


class TestScope:
    BRANDS = OptoutPolicy(scope="brand", brands={"36111": "boutique", "36222": "voyages"})

    def test_global_by_default(self) -> None:
        result = evaluate("STOP", destination="36111")
        assert (result.scope, result.brand) == ("global", "*")

    def test_brand_mode_names_the_short_code_s_brand(self) -> None:
        result = evaluate("STOP", policy=self.BRANDS, destination="36222")
        assert (result.scope, result.brand) == ("brand", "voyages")

    def test_an_unknown_short_code_stays_global(self) -> None:
        result = evaluate("STOP", policy=self.BRANDS, destination="36999")
        assert (result.scope, result.brand) == ("global", "*")

    def test_stopall_is_always_global(self) -> None:
        result = evaluate("stopall", policy=self.BRANDS, destination="36111")
        assert (result.scope, result.brand) == ("global", "*")

    def test_opt_in_and_review_carry_the_scope_help_does_not(self) -> None:
        assert evaluate("START", policy=self.BRANDS, destination="36111").brand == "boutique"
        review = evaluate("stop by tomorrow at the shop", policy=self.BRANDS, destination="36111")
        assert (review.kind, review.brand) == ("review", "boutique")
        assert evaluate("HELP", policy=self.BRANDS, destination="36111").scope is None


class TestReplies:
    def test_one_reply_per_kind(self) -> None:
        assert reply_kind_for(evaluate("STOP")) == "optout_confirmation"
        assert reply_kind_for(evaluate("don't text me")) == "optout_confirmation"
        assert reply_kind_for(evaluate("AIDE")) == "help"
        for text in ("START", "Bonjour", "stop by tomorrow at the shop"):
            assert reply_kind_for(evaluate(text)) is None

    @pytest.mark.parametrize("kind", ["optout_confirmation", "help"])
    @pytest.mark.parametrize("language", ["fr", "en"])
    def test_default_replies_fit_one_gsm7_sms(self, kind: str, language: str) -> None:
        reply = Replies().render(kind, language, "Boutique Élodie")  # type: ignore[arg-type]
        info = analyse(reply.text)
        assert (info.encoding, info.segments) == ("GSM7", 1)
        assert reply.text.startswith("Boutique Élodie")
        assert "STOP" in reply.text if kind == "help" else "STOP" not in reply.text

    def test_confirmations_carry_no_marketing(self) -> None:
        for language in ("fr", "en"):
            text = Replies().render("optout_confirmation", language, "X").text.lower()
            for word in ("http", "promo", "offre", "offer", "%", "code", "www"):
                assert word not in text

    def test_an_unknown_language_gets_the_default_one(self) -> None:
        reply = Replies().render("optout_confirmation", "de", "X")
        assert reply.language == "fr"
        assert reply.text.startswith("X : votre désinscription")

    def test_templates_are_configurable(self) -> None:
        replies = Replies(confirmations={"fr": "{brand} : c'est noté, plus de SMS."})
        assert replies.render("optout_confirmation", "fr", "Acme").text == (
            "Acme : c'est noté, plus de SMS."
        )

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"confirmations": {"fr": "{brand} {promo_code}"}}, "unknown placeholder"),
            ({"confirmations": {"fr": "{brand"}}, "not a valid template"),
            ({"help": {"fr": "  "}}, "empty template"),
            ({"default_language": "de"}, "no template for 'de'"),
        ],
    )
    def test_a_bad_template_is_refused_when_configured(
        self, kwargs: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            Replies(**kwargs)  # type: ignore[arg-type]
