"""Addresses, priorities and the submit_sm bodies of a text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.segments import split
from herald_dispatcher.domain.messages import (
    Address,
    decode_text,
    destination_address,
    inbound_address,
    priority_name,
    priority_rank,
    source_address,
    strip_udh,
    submit_parts,
)


class TestAddresses:
    @pytest.mark.parametrize(
        ("sender", "expected"),
        [
            ("HERALD", Address("HERALD", 5, 0)),
            ("36111", Address("36111", 0, 1)),
            ("+33612345678", Address("33612345678", 1, 1)),
        ],
    )
    def test_source(self, sender: str, expected: Address) -> None:
        assert source_address(sender) == expected

    def test_destination_is_international(self) -> None:
        assert destination_address("+33612345678") == Address("33612345678", 1, 1)

    def test_inbound_international_numbers_get_their_plus(self) -> None:
        assert inbound_address("33612345678", 1) == "+33612345678"
        assert inbound_address("36111", 0) == "36111"
        assert inbound_address("HERALD", 5) == "HERALD"


class TestPriority:
    def test_round_trip(self) -> None:
        assert [priority_rank(p) for p in ("high", "normal", "low")] == [0, 1, 2]
        assert priority_name(priority_rank("low")) == "low"
        assert priority_rank("unknown") == 1


class TestSubmitParts:
    def test_a_short_gsm_text_is_one_unpacked_body(self) -> None:
        [part] = submit_parts("Hello €", reference=7)
        assert (part.data_coding, part.esm_class) == (0, 0)
        assert part.short_message == b"Hello \x1b\x65"

    def test_a_short_unicode_text_is_ucs2(self) -> None:
        [part] = submit_parts("Forêt", reference=7)
        assert part.data_coding == 8
        assert part.short_message == "Forêt".encode("utf-16-be")

    def test_a_long_text_gets_concatenation_headers(self) -> None:
        parts = submit_parts("a" * 400, reference=300)
        assert len(parts) == 3
        for index, part in enumerate(parts, start=1):
            assert part.esm_class == 0x40
            assert part.short_message[:6] == bytes([5, 0, 3, 300 & 0xFF, 3, index])
        assert b"".join(p.short_message[6:] for p in parts) == b"a" * 400

    @given(st.text(alphabet=st.sampled_from("aé€[😀ê "), min_size=1, max_size=400))
    def test_bodies_fit_one_sms_and_join_back(self, text: str) -> None:
        parts = submit_parts(text, reference=1)
        assert len(parts) == len(split(text))
        assert all(len(part.short_message) <= 160 for part in parts if part.data_coding == 0)
        assert all(len(part.short_message) <= 140 for part in parts if part.data_coding == 8)
        joined = "".join(
            decode_text(p.data_coding, strip_udh(p.esm_class, p.short_message)) for p in parts
        )
        assert joined == text


class TestDecodeText:
    @pytest.mark.parametrize(
        ("data_coding", "body", "text"),
        [
            (0, b"STOP \x1b\x65", "STOP €"),
            (8, "Arrêt".encode("utf-16-be"), "Arrêt"),
            (1, b"STOP", "STOP"),
            (3, "ARRÊT".encode("latin-1"), "ARRÊT"),
        ],
    )
    def test_by_data_coding(self, data_coding: int, body: bytes, text: str) -> None:
        assert decode_text(data_coding, body) == text
