"""Keyword matching: what handsets really send, table by table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.keywords import (
    DEFAULT_KEYWORDS,
    KeywordMatch,
    KeywordTable,
    classify,
    normalise,
)

# (text as sent, kind, keyword reported, language reported)
OPT_OUTS = [
    ("STOP", "STOP", "fr"),
    ("stop", "STOP", "fr"),
    ("Stop", "STOP", "fr"),
    ("Stop!!", "STOP", "fr"),
    ("  stop  ", "STOP", "fr"),
    ("STOP.", "STOP", "fr"),
    ("stop merci", "STOP", "fr"),
    ("Stop, merci beaucoup", "STOP", "fr"),
    ("STOP 🛑", "STOP", "fr"),
    ("ARRET", "ARRET", "fr"),
    ("ARRÊT", "ARRET", "fr"),
    (" arrêt ", "ARRET", "fr"),
    ("Arrêt svp", "ARRET", "fr"),
    ("arret.", "ARRET", "fr"),
    ("desabonner", "DESABONNER", "fr"),
    ("Désabonner", "DESABONNER", "fr"),
    ("DÉSABONNER !", "DESABONNER", "fr"),
    ("stop sms", "STOP SMS", "fr"),
    ("Stop  SMS", "STOP SMS", "fr"),
    ("STOP-SMS", "STOP SMS", "fr"),
    ("désinscription", "DESINSCRIPTION", "fr"),
    ("Désinscrire", "DESINSCRIRE", "fr"),
    ("remove", "REMOVE", "en"),
    ("STOPALL", "STOPALL", "en"),
    ("stopall", "STOPALL", "en"),
    ("Unsubscribe", "UNSUBSCRIBE", "en"),
    ("cancel", "CANCEL", "en"),
    ("END", "END", "en"),
    ("quit", "QUIT", "en"),
    ("Revoke", "REVOKE", "en"),
    ("optout", "OPTOUT", "en"),
    ("OPT OUT", "OPT OUT", "en"),
    ("opt-out", "OPT OUT", "en"),
    ("Opt_Out!", "OPT OUT", "en"),
    ("ｓｔｏｐ", "STOP", "fr"),  # full-width letters (NFKD)
    ("st\u200bop", "STOP", "fr"),  # a zero-width space inside the word
    ("stop\u00a0!", "STOP", "fr"),  # a no-break space before the punctuation
]

OPT_INS = [
    ("START", "START", "en"),
    ("start", "START", "en"),
    ("Start!", "START", "en"),
    ("unstop", "UNSTOP", "en"),
]

HELPS = [
    ("HELP", "HELP", "en"),
    ("help?", "HELP", "en"),
    ("aide", "AIDE", "fr"),
    ("Aide !", "AIDE", "fr"),
    ("info", "INFO", "fr"),
]

NOT_KEYWORDS = [
    "",
    "   ",
    "!!!",
    "OUI",  # a double-opt-in confirmation, handled by consent, not a keyword
    "oui",
    "YES",
    "Bonjour, je voudrais savoir",
    "arrêtez de m'écrire",  # no keyword as a whole and "ARRETEZ" is not "ARRET"
    "stopper",
    "nonstop",
    "please stop",  # STOP is not the first word and the text is not a keyword
    "cancel my order",  # only STOP/ARRET count as leading words
    "end of the day",
    "help me with my order",
    "start again",
    "STOPALL now",
    "1234",
]


class TestOptOut:
    @pytest.mark.parametrize(("text", "keyword", "language"), OPT_OUTS)
    def test_opt_out_keywords(self, text: str, keyword: str, language: str) -> None:
        assert classify(text) == KeywordMatch("opt_out", keyword, language)


class TestOptIn:
    @pytest.mark.parametrize(("text", "keyword", "language"), OPT_INS)
    def test_opt_in_keywords(self, text: str, keyword: str, language: str) -> None:
        assert classify(text) == KeywordMatch("opt_in", keyword, language)


class TestHelp:
    @pytest.mark.parametrize(("text", "keyword", "language"), HELPS)
    def test_help_keywords(self, text: str, keyword: str, language: str) -> None:
        assert classify(text) == KeywordMatch("help", keyword, language)


class TestNone:
    @pytest.mark.parametrize("text", NOT_KEYWORDS)
    def test_ordinary_texts_are_not_keywords(self, text: str) -> None:
        assert classify(text) == KeywordMatch("none", None, None)


class TestNormalise:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("  Arrêt, merci !! ", "ARRET MERCI"),
            ("Désinscription", "DESINSCRIPTION"),
            ("stop\tsms\n", "STOP SMS"),
            ("ÇA SUFFIT", "CA SUFFIT"),
            ("œuvre", "ŒUVRE"),
            ("", ""),
        ],
    )
    def test_normalise(self, text: str, expected: str) -> None:
        assert normalise(text) == expected

    @given(st.text(max_size=40))
    def test_normalise_is_idempotent(self, text: str) -> None:
        once = normalise(text)
        assert normalise(once) == once

    @given(st.text(max_size=40))
    def test_classify_never_fails(self, text: str) -> None:
        assert classify(text).kind in ("opt_out", "opt_in", "help", "none")


class TestExtensibleTables:
    def test_a_workspace_can_add_a_language(self) -> None:
        table: KeywordTable = {
            **DEFAULT_KEYWORDS,
            "es": {"opt_out": ("BAJA",), "opt_in": (), "help": ()},
        }
        assert classify("baja", keywords=table) == KeywordMatch("opt_out", "BAJA", "es")
        assert classify("baja") == KeywordMatch("none")

    def test_a_workspace_can_add_a_leading_word(self) -> None:
        leading = {"fr": ("STOP", "ARRET", "DESABONNER")}
        assert classify("désabonner moi", leading_opt_out=leading).kind == "opt_out"
        assert classify("désabonner moi").kind == "none"

    def test_every_default_keyword_matches_itself(self) -> None:
        for kinds in DEFAULT_KEYWORDS.values():
            for kind, words in kinds.items():
                for word in words:
                    assert classify(word).kind == kind, word
