from __future__ import annotations

import re

import pytest
import smpp34

from herald_smsc import pdu
from herald_smsc.config import Outcomes
from herald_smsc.receipts import EXPIRED, UNDELIVERABLE, OutcomePicker, format_receipt


def test_tlv_tags_match_the_codec() -> None:
    assert pdu.TLV_RECEIPTED_MESSAGE_ID == smpp34.TLV_RECEIPTED_MESSAGE_ID
    assert pdu.TLV_MESSAGE_STATE == smpp34.TLV_MESSAGE_STATE
    assert pdu.TLV_MESSAGE_PAYLOAD == smpp34.TLV_MESSAGE_PAYLOAD
    assert pdu.TLV_SAR_MSG_REF_NUM == smpp34.TLV_SAR_MSG_REF_NUM
    assert pdu.TLV_SAR_TOTAL_SEGMENTS == smpp34.TLV_SAR_TOTAL_SEGMENTS
    assert pdu.TLV_SAR_SEGMENT_SEQNUM == smpp34.TLV_SAR_SEGMENT_SEQNUM
    assert pdu.TLV_NETWORK_ERROR_CODE == smpp34.TLV_NETWORK_ERROR_CODE
    assert pdu.TLV_SC_INTERFACE_VERSION == smpp34.TLV_SC_INTERFACE_VERSION


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33612345678", "+3361****678"),
        ("33612345678", "3361****678"),
        ("36111", "36111"),
        ("HERALD", "HERALD"),
    ],
)
def test_mask_number(number: str, masked: str) -> None:
    assert pdu.mask_number(number) == masked


def test_gsm_round_trip_and_ucs2_fallback() -> None:
    text = "Hé @ {promo} 5€ ÄÖ"
    data_coding, body = pdu.encode_text(text)
    assert data_coding == pdu.DCS_DEFAULT
    assert pdu.decode_text(data_coding, body) == text
    assert pdu.decode_text(0, "Élodie".encode()) == "Élodie"  # 8-bit text sent as dc 0
    assert pdu.decode_text(0, "Élodie".encode("latin-1")) == "Élodie"
    data_coding, body = pdu.encode_text("Привет")
    assert data_coding == pdu.DCS_UCS2
    assert pdu.decode_text(data_coding, body) == "Привет"


def test_udh_concatenation_is_read_and_stripped() -> None:
    udh8 = bytes([5, 0x00, 3, 0x2A, 3, 2])
    part, body = pdu.split_udh(0x40, udh8 + b"second")
    assert part == pdu.Part(0x2A, 3, 2, "udh8")
    assert body == b"second"
    udh16 = bytes([6, 0x08, 4, 0x01, 0x02, 2, 1])
    part, body = pdu.split_udh(0x40, udh16 + b"first")
    assert part == pdu.Part(0x0102, 2, 1, "udh16")
    assert body == b"first"
    assert pdu.split_udh(0x00, udh8) == (None, udh8)


def test_bind_parsing() -> None:
    raw = pdu.encode_pdu(
        pdu.BIND_TRANSCEIVER, 0, 1, b"herald\x00secret\x00SMPP\x00\x34\x01\x01\x00"
    )
    request = pdu.parse_bind(raw)
    assert (request.system_id, request.password, request.system_type) == (
        "herald",
        "secret",
        "SMPP",
    )
    assert request.interface_version == 0x34
    with pytest.raises(pdu.PduError):
        pdu.parse_bind(pdu.encode_pdu(pdu.BIND_TRANSCEIVER, 0, 1, b"no-terminator"))


def test_receipt_text_format() -> None:
    text = format_receipt("1a2b", UNDELIVERABLE, 0.0, 3600.0, "hello").decode()
    assert text == (
        "id:1a2b sub:001 dlvrd:000 submit date:7001010000 done date:7001010100 "
        "stat:UNDELIV err:001 text:hello"
    )
    assert re.search(r"stat:EXPIRED", format_receipt("x", EXPIRED, 0, 0, "").decode())


def test_outcome_picker_is_exact_and_interleaved() -> None:
    picker = OutcomePicker(Outcomes(delivered=3, undeliverable=1))
    picks = [picker.next().name for _ in range(8)]
    assert picks.count("delivered") == 6
    assert picks.count("undeliverable") == 2
    assert picks[:4].count("undeliverable") == 1


def test_deliver_sm_encoding_round_trips_through_the_codec() -> None:
    wire = pdu.encode_deliver_sm(
        7,
        source_addr="33612345678",
        destination_addr="36111",
        short_message=b"x" * 300,
        esm_class=0,
        data_coding=0,
        source_addr_ton=1,
        source_addr_npi=1,
        dest_addr_ton=0,
        dest_addr_npi=1,
        tlvs=[],
    )
    decoded = smpp34.decode(wire)
    assert isinstance(decoded, smpp34.DeliverSm)
    assert decoded.sequence_number == 7
    assert decoded.short_message == b""
    assert [t.value for t in decoded.tlvs if t.tag == smpp34.TLV_MESSAGE_PAYLOAD] == [b"x" * 300]
