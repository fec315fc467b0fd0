"""Messages on the wire: addresses, priorities, concatenated parts, inbound text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from herald_compliance.segments import (
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    encoding_of,
    split,
)

DATA_CODING_GSM7: Final = 0x00
DATA_CODING_IA5: Final = 0x01
DATA_CODING_LATIN1: Final = 0x03
DATA_CODING_UCS2: Final = 0x08
ESM_UDHI: Final = 0x40

TON_UNKNOWN: Final = 0
TON_INTERNATIONAL: Final = 1
TON_ALPHANUMERIC: Final = 5
NPI_UNKNOWN: Final = 0
NPI_ISDN: Final = 1

PRIORITIES: Final = {"high": 0, "normal": 1, "low": 2}
PRIORITY_NAMES: Final = {rank: name for name, rank in PRIORITIES.items()}


def priority_rank(name: str) -> int:
    return PRIORITIES.get(name, PRIORITIES["normal"])


def priority_name(rank: int) -> str:
    return PRIORITY_NAMES.get(rank, "normal")


@dataclass(frozen=True)
class Address:
    value: str
    ton: int
    npi: int


def destination_address(e164: str) -> Address:
    """`+33612345678` -> `33612345678`, international/ISDN."""
    return Address(e164.lstrip("+"), TON_INTERNATIONAL, NPI_ISDN)


def source_address(sender: str) -> Address:
    """An alphanumeric sender (`HERALD`), a short code (`36111`) or an E.164 number."""
    if sender.startswith("+") and sender[1:].isdigit():
        return Address(sender[1:], TON_INTERNATIONAL, NPI_ISDN)
    if sender.isdigit():
        return Address(sender, TON_UNKNOWN, NPI_ISDN)
    return Address(sender, TON_ALPHANUMERIC, NPI_UNKNOWN)


def inbound_address(value: str, ton: int) -> str:
    """An address received on the bind: international numbers get their `+` back."""
    if ton == TON_INTERNATIONAL and value.isdigit():
        return "+" + value
    return value


@dataclass(frozen=True)
class Part:
    """One submit_sm body: data_coding, esm_class (UDHI for parts) and the octets."""

    data_coding: int
    esm_class: int
    short_message: bytes


def submit_parts(text: str, reference: int) -> list[Part]:
    """The submit_sm bodies of a text: one, or concatenated parts with an 8-bit reference
    UDH (`05 00 03 ref total index`) that the handset uses to join them."""
    encoding = encoding_of(text)
    encode = encode_gsm7 if encoding == "GSM7" else encode_ucs2
    data_coding = DATA_CODING_GSM7 if encoding == "GSM7" else DATA_CODING_UCS2
    texts = split(text)
    if len(texts) == 1:
        return [Part(data_coding, 0, encode(text))]
    total = len(texts)
    if total > 255:
        raise ValueError(f"a text of {total} parts cannot be concatenated")
    ref = reference & 0xFF
    return [
        Part(data_coding, ESM_UDHI, bytes((5, 0, 3, ref, total, index)) + encode(part))
        for index, part in enumerate(texts, start=1)
    ]


def strip_udh(esm_class: int, short_message: bytes) -> bytes:
    if not esm_class & ESM_UDHI or not short_message:
        return short_message
    return short_message[1 + short_message[0] :]


def decode_text(data_coding: int, body: bytes) -> str:
    """The text of an inbound message body (UDH already stripped)."""
    if data_coding == DATA_CODING_GSM7 or data_coding & 0xF4 == 0xF0:
        return decode_gsm7(body)
    if data_coding == DATA_CODING_UCS2 or data_coding & 0xEC == 0x08:
        return decode_ucs2(body)
    if data_coding == DATA_CODING_IA5:
        return body.decode("ascii", errors="replace")
    return body.decode("latin-1")
