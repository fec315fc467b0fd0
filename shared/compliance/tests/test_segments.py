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
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
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
