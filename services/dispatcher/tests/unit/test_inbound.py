"""A deliver_sm as a `gateway.inbound` event."""

from __future__ import annotations

from datetime import UTC, datetime

from herald_dispatcher.domain.inbound import DeliverFields, inbound_event, receipt_event_id
from herald_events.models.dispatcher import InboundKind

AT = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def receipt(**changes: object) -> DeliverFields:
    values: dict[str, object] = {
        "source_addr": "33612345678",
        "source_addr_ton": 1,
        "destination_addr": "HERALD",
        "dest_addr_ton": 5,
        "esm_class": 0x04,
        "data_coding": 0,
        "short_message": b"id:5f3a9c01 sub:001 dlvrd:001 submit date:2611241015 "
        b"done date:2611241015 stat:DELIVRD err:000 text:Bonjour",
        "tlvs": {0x001E: b"5f3a9c01\x00", 0x0427: bytes([2])},
    }
    values.update(changes)
    return DeliverFields(**values)  # type: ignore[arg-type]


class TestInboundEvent:
    def test_a_receipt(self) -> None:
        event = inbound_event(receipt(), "smpp-default", AT)
        assert event.kind == InboundKind.DELIVERY_RECEIPT
        assert event.provider_message_id == "5f3a9c01"
        assert (event.receipt_status, event.error_code) == ("DELIVRD", "000")
        assert (event.source, event.destination) == ("+33612345678", "HERALD")
        assert event.text is None
        assert event.route == "smpp-default"

    def test_a_handset_message_in_ucs2_via_message_payload(self) -> None:
        fields = receipt(
            esm_class=0,
            data_coding=8,
            short_message=b"",
            tlvs={0x0424: "Arrêt".encode("utf-16-be")},
            destination_addr="36111",
            dest_addr_ton=0,
        )
        event = inbound_event(fields, "smpp-default", AT)
        assert event.kind == InboundKind.MOBILE_ORIGINATED
        assert (event.source, event.destination, event.text) == ("+33612345678", "36111", "Arrêt")
        assert event.provider_message_id is None

    def test_a_concatenated_part_loses_its_udh(self) -> None:
        fields = receipt(esm_class=0x40, short_message=bytes([5, 0, 3, 1, 2, 1]) + b"STOP", tlvs={})
        assert inbound_event(fields, "r", AT).text == "STOP"


class TestReceiptEventId:
    def test_the_same_receipt_twice_has_one_id_and_handset_messages_none(self) -> None:
        assert receipt_event_id(receipt(), "r") == receipt_event_id(receipt(), "r")
        assert receipt_event_id(receipt(), "r") != receipt_event_id(receipt(), "other")
        other = receipt(tlvs={0x001E: b"5f3a9c02\x00", 0x0427: bytes([2])})
        assert receipt_event_id(other, "r") != receipt_event_id(receipt(), "r")
        assert receipt_event_id(receipt(esm_class=0), "r") is None
