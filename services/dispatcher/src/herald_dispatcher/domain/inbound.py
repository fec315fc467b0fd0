"""A `deliver_sm` received on a bind, as the `gateway.inbound` event describes it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from herald_dispatcher.domain.messages import decode_text, inbound_address, strip_udh
from herald_dispatcher.domain.receipts import is_delivery_receipt, parse_receipt
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind

TLV_RECEIPTED_MESSAGE_ID: Final = 0x001E
TLV_NETWORK_ERROR_CODE: Final = 0x0423
TLV_MESSAGE_PAYLOAD: Final = 0x0424
TLV_MESSAGE_STATE: Final = 0x0427
_RECEIPT_NAMESPACE: Final = uuid.UUID("6f1c0d3e-7a53-4a55-9d55-8f4c2b1e0a77")


@dataclass(frozen=True)
class DeliverFields:
    """The parts of a deliver_sm that matter, free of any codec type."""

    source_addr: str
    source_addr_ton: int
    destination_addr: str
    dest_addr_ton: int
    esm_class: int
    data_coding: int
    short_message: bytes
    tlvs: Mapping[int, bytes]

    @property
    def body(self) -> bytes:
        payload = self.tlvs.get(TLV_MESSAGE_PAYLOAD)
        if not self.short_message and payload is not None:
            return payload
        return self.short_message


def inbound_event(fields: DeliverFields, route: str, received_at: datetime) -> GatewayInboundV1:
    source = inbound_address(fields.source_addr, fields.source_addr_ton)
    destination = inbound_address(fields.destination_addr, fields.dest_addr_ton)
    body = strip_udh(fields.esm_class, fields.body)
    if is_delivery_receipt(fields.esm_class):
        receipt = parse_receipt(
            body.decode("latin-1"),
            receipted_message_id=fields.tlvs.get(TLV_RECEIPTED_MESSAGE_ID),
            message_state=fields.tlvs.get(TLV_MESSAGE_STATE),
            network_error_code=fields.tlvs.get(TLV_NETWORK_ERROR_CODE),
        )
        return GatewayInboundV1(
            kind=InboundKind.DELIVERY_RECEIPT,
            route=route,
            provider_message_id=receipt.provider_message_id,
            source=source,
            destination=destination,
            text=None,  # the receipt quotes the message: never passed on
            receipt_status=receipt.status,
            error_code=receipt.error_code,
            received_at=received_at,
        )
    return GatewayInboundV1(
        kind=InboundKind.MOBILE_ORIGINATED,
        route=route,
        provider_message_id=None,
        source=source,
        destination=destination,
        text=decode_text(fields.data_coding, body),
        received_at=received_at,
    )


def receipt_event_id(fields: DeliverFields, route: str) -> uuid.UUID | None:
    """The same receipt delivered twice (our answer lost) gets the same event id, so the
    outbox keeps one; handset messages keep random ids (two identical texts are two)."""
    if not is_delivery_receipt(fields.esm_class):
        return None
    digest = hashlib.sha256()
    for item in (route, fields.source_addr, fields.destination_addr, str(fields.esm_class)):
        digest.update(item.encode() + b"\x00")
    digest.update(fields.short_message)
    for tag in sorted(fields.tlvs):
        digest.update(tag.to_bytes(2, "big") + fields.tlvs[tag])
    return uuid.uuid5(_RECEIPT_NAMESPACE, digest.hexdigest())
