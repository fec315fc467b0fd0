"""Segment maths, checked against a reference written independently here."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herald_compliance.segments import (
    NotGsm7,
    SegmentInfo,
    analyse,
    analyse_for_sending,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    fold_to_gsm7,
    split,
)

# ── an independent reference (3GPP TS 23.038 §6.2.1, written out by hand) ────────────────
REF_BASIC = (
    set("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ ¤¡ÄÖÑÜ§¿äöñüà")
    | {"\n", "\r"}
    | set(string.ascii_letters)
    | set(string.digits)
    | set("!\"#%&'()*+,-./:;<=>?")
)
REF_EXTENSION = set("^{}\\[~]|€\f")


def ref_cost(text: str) -> tuple[str, list[int]]:
    if all(c in REF_BASIC or c in REF_EXTENSION for c in text):
        return "GSM7", [2 if c in REF_EXTENSION else 1 for c in text]
    return "UCS2", [len(c.encode("utf-16-le")) // 2 for c in text]


def ref_segments(text: str) -> int:
    encoding, costs = ref_cost(text)
    single, per_part = (160, 153) if encoding == "GSM7" else (70, 67)
    if sum(costs) <= single:
        return 1
    parts, room = 1, per_part
    for cost in costs:
        if cost > room:
            parts, room = parts + 1, per_part
        room -= cost
    return parts


def ref_split(text: str) -> list[str]:
    """Greedy parts by hand: a character goes to the next part when its units (2 for an
    escape pair or a surrogate pair) do not fit whole in the current one."""
    encoding, costs = ref_cost(text)
    single, per_part = (160, 153) if encoding == "GSM7" else (70, 67)
    if sum(costs) <= single:
        return [text]
    parts: list[list[str]] = [[]]
    room = per_part
    for char, cost in zip(text, costs, strict=True):
        if cost > room:
            parts.append([])
            room = per_part
        parts[-1].append(char)
        room -= cost
    return ["".join(p) for p in parts]


gsm_chars = st.sampled_from(sorted(REF_BASIC | REF_EXTENSION))
gsm_texts = st.text(alphabet=gsm_chars, max_size=800)
any_texts = st.text(
    alphabet=st.one_of(gsm_chars, st.characters(codec="utf-8"), st.sampled_from("ê😀€ç🇫🇷")),
    max_size=600,
)


class TestAnalyse:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", SegmentInfo("GSM7", 0, 1)),
            ("a" * 160, SegmentInfo("GSM7", 160, 1)),
            ("a" * 161, SegmentInfo("GSM7", 161, 2)),
            ("a" * 306, SegmentInfo("GSM7", 306, 2)),
            ("a" * 307, SegmentInfo("GSM7", 307, 3)),
            ("€" * 80, SegmentInfo("GSM7", 160, 1)),
            ("€" * 81, SegmentInfo("GSM7", 162, 2)),
            ("Hélène à Noël", SegmentInfo("UCS2", 13, 1)),
            ("ç", SegmentInfo("UCS2", 1, 1)),
            ("Ç", SegmentInfo("GSM7", 1, 1)),
            ("ê" * 70, SegmentInfo("UCS2", 70, 1)),
            ("ê" * 71, SegmentInfo("UCS2", 71, 2)),
            ("😀" * 35, SegmentInfo("UCS2", 70, 1)),
            ("😀" * 36, SegmentInfo("UCS2", 72, 2)),
            ("Forêt", SegmentInfo("UCS2", 5, 1)),
            ("[promo] {-20%} ~ | \\ ^", SegmentInfo("GSM7", 30, 1)),
        ],
    )
    def test_known_texts(self, text: str, expected: SegmentInfo) -> None:
        assert analyse(text) == expected

    def test_an_escape_pair_on_a_boundary_moves_to_the_next_part(self) -> None:
        text = "a" * 152 + "€" + "a" * 10  # the € would take septets 153 and 154
        assert analyse(text).segments == 2
        assert split(text) == ["a" * 152, "€" + "a" * 10]

    def test_a_surrogate_pair_on_a_boundary_moves_to_the_next_part(self) -> None:
        text = "ê" * 66 + "😀" + "ê" * 10
        assert split(text) == ["ê" * 66, "😀" + "ê" * 10]

    @given(any_texts)
    def test_matches_the_reference(self, text: str) -> None:
        encoding, costs = ref_cost(text)
        info = analyse(text)
        assert info.encoding == encoding
        assert info.units == sum(costs)
        assert info.segments == ref_segments(text)

    @given(gsm_texts)
    def test_gsm_texts_are_gsm7_and_close_to_the_textbook_count(self, text: str) -> None:
        info = analyse(text)
        assert info.encoding == "GSM7"
        textbook = 1 if info.units <= 160 else math.ceil(info.units / 153)
        # a cut escape pair may cost at most one extra part per 153 septets
        assert textbook <= info.segments <= textbook + max(0, info.units // 153)


class TestSplit:
    @given(any_texts)
    @settings(max_examples=300)
    def test_parts_join_back_and_fit(self, text: str) -> None:
        parts = split(text)
        assert "".join(parts) == text
        assert len(parts) == analyse(text).segments
        encoding, _ = ref_cost(text)
        single, per_part = (160, 153) if encoding == "GSM7" else (70, 67)
        limit = single if len(parts) == 1 else per_part
        for part in parts:
            if encoding == "GSM7":
                units = sum(2 if c in REF_EXTENSION else 1 for c in part)
            else:
                units = len(part.encode("utf-16-le")) // 2
            assert units <= limit
            assert part or text == ""

    @given(any_texts)
    def test_no_part_starts_or_ends_inside_a_surrogate_pair(self, text: str) -> None:
        for part in split(text):
            data = encode_ucs2(part)
            assert decode_ucs2(data) == part


class TestSplitAgainstTheReference:
    @given(any_texts)
    @settings(max_examples=300)
    def test_parts_are_the_reference_parts(self, text: str) -> None:
        assert split(text) == ref_split(text)

    @given(st.integers(0, 2), st.integers(140, 170), st.sampled_from("€[]{}~|^\\"))
    def test_an_escape_pair_is_never_split(self, extra: int, before: int, ext: str) -> None:
        text = "a" * before + ext * (1 + extra) + "b" * 200
        for part in split(text):
            assert len(encode_gsm7(part)) <= 153
            assert decode_gsm7(encode_gsm7(part)) == part  # no dangling escape

    @given(st.integers(60, 75))
    def test_a_surrogate_pair_is_never_split(self, before: int) -> None:
        text = "ê" * before + "😀" * 3 + "ê" * 80
        parts = split(text)
        assert all(len(encode_ucs2(p)) // 2 <= 67 for p in parts)
        assert all("\ud83d" not in p for p in parts)


# Folding: characters GSM-7 lacks become their look-alikes; what it has stays.
FOLDED = [
    ("Forêt", "Foret"),
    ("Noël", "Noel"),
    ("âge île hôtel sûr", "age ile hotel sur"),
    ("maïs", "mais"),
    ("garçon", "garÇon"),
    ("œuvre Œil", "oeuvre OEil"),
    ("l’été", "l'été"),
    ("« super »", '" super "'),
    ("“quoted”", '"quoted"'),
    ("10 – 20 — 30", "10 - 20 - 30"),
    ("attendez…", "attendez..."),
    ("prix\u00a0: 10\u202f€", "prix : 10 €"),
    ("ÀÈÌÒÙ ÂÊÎÔÛ", "AEIOU AEIOU"),
    ("áíóú ã", "aiou a"),
]
NATIVE = "éèùìòàÉÇÄÖÑÜäöñüåÅØøÆæß€[]{}"


class TestFolding:
    @pytest.mark.parametrize(("text", "expected"), FOLDED)
    def test_known_folds(self, text: str, expected: str) -> None:
        assert fold_to_gsm7(text) == expected
        assert analyse(fold_to_gsm7(text)).encoding == "GSM7"

    def test_characters_gsm7_has_are_kept(self) -> None:
        assert fold_to_gsm7(NATIVE) == NATIVE

    def test_what_has_no_look_alike_stays(self) -> None:
        assert fold_to_gsm7("Noël 😀") == "Noel 😀"
        assert analyse(fold_to_gsm7("Noël 😀")).encoding == "UCS2"

    def test_a_french_message_goes_back_to_160(self) -> None:
        text = "Forêt " + "a" * 100
        assert analyse(text) == SegmentInfo("UCS2", 106, 2)
        sent, info = analyse_for_sending(text, fold=True)
        assert (sent, info) == ("Foret " + "a" * 100, SegmentInfo("GSM7", 106, 1))
        assert analyse_for_sending(text) == (text, analyse(text))

    @given(gsm_texts)
    def test_a_gsm7_text_is_unchanged(self, text: str) -> None:
        assert fold_to_gsm7(text) == text

    @given(any_texts)
    def test_folding_is_idempotent_and_only_ever_helps(self, text: str) -> None:
        folded = fold_to_gsm7(text)
        assert fold_to_gsm7(folded) == folded
        if ref_cost(text)[0] == "GSM7":
            assert folded == text
        # every character either was GSM-7, became GSM-7, or stayed as it was
        assert all(ref_cost(c)[0] == "GSM7" for c in folded if c not in text)

    @given(st.text(alphabet=st.sampled_from("êâîôûëïçœÊÂÎÔÛËÏŒ’«»–…éèàùÇ abc"), max_size=300))
    def test_french_text_folds_to_gsm7(self, text: str) -> None:
        assert ref_cost(fold_to_gsm7(text))[0] == "GSM7"


class TestEncoding:
    @given(gsm_texts)
    def test_gsm7_round_trips(self, text: str) -> None:
        data = encode_gsm7(text)
        assert len(data) == analyse(text).units
        assert all(octet < 0x80 for octet in data)
        assert decode_gsm7(data) == text

    def test_known_septets(self) -> None:
        assert encode_gsm7("@$€a") == bytes([0x00, 0x02, 0x1B, 0x65, 0x61])

    def test_a_character_outside_the_alphabet_is_refused(self) -> None:
        with pytest.raises(NotGsm7):
            encode_gsm7("Noël")

    def test_ucs2_counts_surrogate_pairs(self) -> None:
        assert len(encode_ucs2("😀a")) == 6
