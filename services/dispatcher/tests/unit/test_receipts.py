"""Delivery receipt parsing: the Appendix B text and the TLVs."""

from __future__ import annotations

import pytest

from herald_dispatcher.domain.receipts import Receipt, is_delivery_receipt, parse_receipt

TEXT = (
    "id:5f3a9c01 sub:001 dlvrd:001 submit date:2611241015 done date:2611241015 "
    "stat:DELIVRD err:000 text:Bonjour id:fake"
)


class TestParseReceipt:
    def test_the_standard_text(self) -> None:
        assert parse_receipt(TEXT) == Receipt("5f3a9c01", "DELIVRD", "000")

    def test_the_tlvs_win_over_the_text(self) -> None:
        receipt = parse_receipt(
            TEXT,
            receipted_message_id=b"5F3A9C01\x00",
            message_state=bytes([5]),
        )
        assert receipt == Receipt("5F3A9C01", "UNDELIV", "000")

    def test_tlvs_alone(self) -> None:
        receipt = parse_receipt(
            "",
            receipted_message_id=b"abc\x00",
            message_state=bytes([3]),
            network_error_code=bytes([3, 0, 27]),
        )
        assert receipt == Receipt("abc", "EXPIRED", "027")

    def test_lower_case_keys_and_missing_fields(self) -> None:
        assert parse_receipt("ID:42 STAT:undeliv") == Receipt("42", "UNDELIV", None)
        assert parse_receipt("garbage") == Receipt(None, None, None)

    def test_the_quoted_message_cannot_fake_a_field(self) -> None:
        assert parse_receipt("stat:DELIVRD text:id:evil err:999").provider_message_id is None

    @pytest.mark.parametrize(
        ("esm_class", "expected"), [(0x04, True), (0x00, False), (0x40, False)]
    )
    def test_receipts_are_told_apart_by_esm_class(self, esm_class: int, expected: bool) -> None:
        assert is_delivery_receipt(esm_class) is expected
