"""Thin PDU helpers over ``smpp34``.

``smpp34`` (Rust codec) decodes ``submit_sm`` and encodes ``deliver_sm``; those are the two
PDUs with real bodies and TLVs. Its Python surface has no classes for the session PDUs
(binds, their responses, ``unbind``, ``enquire_link``, ``generic_nack``, ``submit_sm_resp``),
which are a 16-byte header plus at most a few C-octet strings, so they are packed here.

Also here: GSM 03.38 / UCS-2 text helpers, UDH and SAR multipart parsing, and number masking
for logs.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Final

import smpp34

# ── command ids (SMPP 3.4 §5.1.2.1) ─────────────────────────────────────────
GENERIC_NACK: Final = 0x80000000
BIND_RECEIVER: Final = 0x00000001
BIND_TRANSMITTER: Final = 0x00000002
QUERY_SM: Final = 0x00000003
SUBMIT_SM: Final = 0x00000004
DELIVER_SM: Final = 0x00000005
UNBIND: Final = 0x00000006
REPLACE_SM: Final = 0x00000007
CANCEL_SM: Final = 0x00000008
BIND_TRANSCEIVER: Final = 0x00000009
OUTBIND: Final = 0x0000000B
ENQUIRE_LINK: Final = 0x00000015
SUBMIT_MULTI: Final = 0x00000021
DATA_SM: Final = 0x00000103
RESP_BIT: Final = 0x80000000

BIND_RECEIVER_RESP: Final = BIND_RECEIVER | RESP_BIT
BIND_TRANSMITTER_RESP: Final = BIND_TRANSMITTER | RESP_BIT
BIND_TRANSCEIVER_RESP: Final = BIND_TRANSCEIVER | RESP_BIT
SUBMIT_SM_RESP: Final = SUBMIT_SM | RESP_BIT
DELIVER_SM_RESP: Final = DELIVER_SM | RESP_BIT
UNBIND_RESP: Final = UNBIND | RESP_BIT
ENQUIRE_LINK_RESP: Final = ENQUIRE_LINK | RESP_BIT

BIND_COMMANDS: Final = frozenset({BIND_RECEIVER, BIND_TRANSMITTER, BIND_TRANSCEIVER})

# ── command_status values (SMPP 3.4 §5.1.3) ──────────────────────────────────
ESME_ROK: Final = 0x00000000
ESME_RINVMSGLEN: Final = 0x00000001
ESME_RINVCMDLEN: Final = 0x00000002
ESME_RINVCMDID: Final = 0x00000003
ESME_RINVBNDSTS: Final = 0x00000004
ESME_RALYBND: Final = 0x00000005
ESME_RSYSERR: Final = 0x00000008
ESME_RBINDFAIL: Final = 0x0000000D
ESME_RINVPASWD: Final = 0x0000000E
ESME_RINVSYSID: Final = 0x0000000F
ESME_RMSGQFUL: Final = 0x00000014
ESME_RTHROTTLED: Final = 0x00000058

# ── TLV tags (SMPP 3.4 §5.3.2; equal to smpp34.TLV_*) ────────────────────────
TLV_RECEIPTED_MESSAGE_ID: Final = 0x001E
TLV_SAR_MSG_REF_NUM: Final = 0x020C
TLV_SAR_TOTAL_SEGMENTS: Final = 0x020E
TLV_SAR_SEGMENT_SEQNUM: Final = 0x020F
TLV_SC_INTERFACE_VERSION: Final = 0x0210
TLV_NETWORK_ERROR_CODE: Final = 0x0423
TLV_MESSAGE_PAYLOAD: Final = 0x0424
TLV_MESSAGE_STATE: Final = 0x0427

ESM_UDHI: Final = 0x40
ESM_DELIVERY_RECEIPT: Final = 0x04
HEADER_LEN: Final = 16
MAX_PDU_LEN: Final = 64 * 1024
SHORT_MESSAGE_MAX: Final = 254
INTERFACE_VERSION_34: Final = 0x34

HEADER: Final = struct.Struct(">IIII")
_pack_header = HEADER.pack


def encode_pdu(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    """A complete PDU: header (length computed) plus body."""
    return _pack_header(HEADER_LEN + len(body), command_id, status, sequence) + body


def generic_nack(sequence: int, status: int) -> bytes:
    return _pack_header(HEADER_LEN, GENERIC_NACK, status, sequence)


def empty_resp(command_id: int, sequence: int, status: int = ESME_ROK) -> bytes:
    """``enquire_link_resp`` / ``unbind_resp`` / ``deliver_sm_resp``-shaped answers."""
    return _pack_header(HEADER_LEN, command_id | RESP_BIT, status, sequence)


def submit_sm_resp(sequence: int, status: int, message_id: str | None) -> bytes:
    """``submit_sm_resp``: the body (message_id) only on success, as §4.4.2 allows."""
    if status == ESME_ROK and message_id is not None:
        body = message_id.encode("ascii") + b"\x00"
        return _pack_header(HEADER_LEN + len(body), SUBMIT_SM_RESP, status, sequence) + body
    return _pack_header(HEADER_LEN, SUBMIT_SM_RESP, status, sequence)


def bind_resp(bind_command: int, sequence: int, status: int, smsc_system_id: str) -> bytes:
    """``bind_*_resp``: our system_id, plus ``sc_interface_version`` (0x34) on success."""
    body = smsc_system_id.encode("ascii", "replace")[:15] + b"\x00"
    if status == ESME_ROK:
        body += struct.pack(">HHB", TLV_SC_INTERFACE_VERSION, 1, INTERFACE_VERSION_34)
    return encode_pdu(bind_command | RESP_BIT, status, sequence, body)


def unbind(sequence: int) -> bytes:
    return _pack_header(HEADER_LEN, UNBIND, ESME_ROK, sequence)


class PduError(ValueError):
    """A PDU body that cannot be parsed; ``status`` is the command_status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class BindRequest:
    system_id: str
    password: str
    system_type: str
    interface_version: int
    addr_ton: int
    addr_npi: int
    address_range: str


def _c_string(body: bytes, start: int, max_len: int) -> tuple[str, int]:
    end = body.find(b"\x00", start, start + max_len)
    if end < 0:
        raise PduError("unterminated C-octet string", ESME_RINVCMDLEN)
    return body[start:end].decode("ascii", "replace"), end + 1


def parse_bind(pdu: bytes) -> BindRequest:
    """Parse a ``bind_transmitter/receiver/transceiver`` body (§4.1)."""
    body = pdu[HEADER_LEN:]
    system_id, pos = _c_string(body, 0, 16)
    password, pos = _c_string(body, pos, 9)
    system_type, pos = _c_string(body, pos, 13)
    if len(body) < pos + 3:
        raise PduError("bind body too short", ESME_RINVCMDLEN)
    interface_version, addr_ton, addr_npi = body[pos], body[pos + 1], body[pos + 2]
    address_range, _ = _c_string(body, pos + 3, 41)
    return BindRequest(
        system_id, password, system_type, interface_version, addr_ton, addr_npi, address_range
    )


_STATUS_IN_MESSAGE = re.compile(r"\(0x([0-9A-Fa-f]{8})\)")


def status_of(error: Exception) -> int:
    """The command_status carried by an ``smpp34.SmppError`` ("ESME_RINVPARLEN (0x000000C2)")."""
    match = _STATUS_IN_MESSAGE.search(str(error))
    return int(match.group(1), 16) if match else ESME_RSYSERR


def decode_submit_sm(pdu: bytes) -> smpp34.SubmitSm:
    """Decode a complete ``submit_sm`` with the smpp34 codec; :class:`PduError` if malformed."""
    try:
        decoded = smpp34.decode(pdu)
    except smpp34.SmppError as error:
        raise PduError(str(error), status_of(error)) from error
    if not isinstance(decoded, smpp34.SubmitSm):  # pragma: no cover - guarded by command_id
        raise PduError("not a submit_sm", ESME_RINVCMDID)
    return decoded


def encode_deliver_sm(
    sequence: int,
    *,
    source_addr: str,
    destination_addr: str,
    short_message: bytes,
    esm_class: int,
    data_coding: int,
    source_addr_ton: int,
    source_addr_npi: int,
    dest_addr_ton: int,
    dest_addr_npi: int,
    tlvs: list[tuple[int, bytes]],
) -> bytes:
    """Encode a ``deliver_sm`` with the smpp34 codec; bodies over 254 bytes go in
    ``message_payload``."""
    tlv_objects = [smpp34.Tlv(tag, value) for tag, value in tlvs]
    if len(short_message) > SHORT_MESSAGE_MAX:
        tlv_objects.append(smpp34.Tlv(TLV_MESSAGE_PAYLOAD, short_message))
        short_message = b""
    return smpp34.DeliverSm(
        source_addr,
        destination_addr,
        short_message,
        source_addr_ton=source_addr_ton,
        source_addr_npi=source_addr_npi,
        dest_addr_ton=dest_addr_ton,
        dest_addr_npi=dest_addr_npi,
        esm_class=esm_class,
        data_coding=data_coding,
        tlvs=tlv_objects,
        sequence_number=sequence,
    ).encode()


# ── multipart ────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class Part:
    """One segment of a concatenated message: reference, total segments, 1-based index."""

    ref: int
    total: int
    index: int
    scheme: str  # "udh8" | "udh16" | "sar"


def split_udh(esm_class: int, short_message: bytes) -> tuple[Part | None, bytes]:
    """Strip a User Data Header (esm_class UDHI bit) and read its concatenation IE, if any."""
    if not esm_class & ESM_UDHI or not short_message:
        return None, short_message
    udhl = short_message[0]
    udh = short_message[1 : 1 + udhl]
    body = short_message[1 + udhl :]
    pos = 0
    part: Part | None = None
    while pos + 2 <= len(udh):
        iei, iel = udh[pos], udh[pos + 1]
        data = udh[pos + 2 : pos + 2 + iel]
        if iei == 0x00 and iel == 3 and len(data) == 3:
            part = Part(data[0], data[1], data[2], "udh8")
        elif iei == 0x08 and iel == 4 and len(data) == 4:
            part = Part((data[0] << 8) | data[1], data[2], data[3], "udh16")
        pos += 2 + iel
    return part, body


def sar_part(tlvs: dict[int, bytes]) -> Part | None:
    """Concatenation carried in the SAR TLVs (``sar_msg_ref_num`` & co.)."""
    ref = tlvs.get(TLV_SAR_MSG_REF_NUM)
    total = tlvs.get(TLV_SAR_TOTAL_SEGMENTS)
    index = tlvs.get(TLV_SAR_SEGMENT_SEQNUM)
    if ref is None or total is None or index is None:
        return None
    return Part(
        int.from_bytes(ref, "big"), total[0] if total else 0, index[0] if index else 0, "sar"
    )


# ── text ─────────────────────────────────────────────────────────────────────
# GSM 03.38 default alphabet, one septet per octet (SMPP carries it unpacked).
GSM_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION: Final = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_GSM_ENCODE: Final = {char: bytes([code]) for code, char in enumerate(GSM_BASIC) if code != 0x1B}
_GSM_ENCODE_EXT: Final = {char: bytes([0x1B, code]) for code, char in GSM_EXTENSION.items()}
_GSM_DECODE_TABLE: Final = dict(enumerate(GSM_BASIC))

DCS_DEFAULT: Final = 0x00
DCS_IA5: Final = 0x01
DCS_BINARY: Final = 0x02
DCS_LATIN1: Final = 0x03
DCS_BINARY_8BIT: Final = 0x04
DCS_UCS2: Final = 0x08


def gsm_decode(data: bytes) -> str:
    chars: list[str] = []
    escape = False
    for octet in data:
        if escape:
            chars.append(GSM_EXTENSION.get(octet, " "))
            escape = False
        elif octet == 0x1B:
            escape = True
        else:
            chars.append(_GSM_DECODE_TABLE.get(octet, "?"))
    return "".join(chars)


def gsm_encode(text: str) -> bytes | None:
    """Unpacked GSM 03.38 septets, or ``None`` if ``text`` has characters outside it."""
    out = bytearray()
    for char in text:
        code = _GSM_ENCODE.get(char) or _GSM_ENCODE_EXT.get(char)
        if code is None:
            return None
        out += code
    return bytes(out)


def decode_text(data_coding: int, body: bytes) -> str:
    """Best-effort text of a short message body (UDH already stripped)."""
    if data_coding == DCS_DEFAULT or data_coding & 0xF4 == 0xF0:
        if body and max(body) >= 0x80:
            # Not septets: an ESME sending 8-bit text as "SMSC default".
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                return body.decode("latin-1")
        return gsm_decode(body)
    if data_coding == DCS_UCS2 or data_coding & 0xEC == 0x08:
        return body.decode("utf-16-be", "replace")
    if data_coding == DCS_IA5:
        return body.decode("ascii", "replace")
    if data_coding in (DCS_BINARY, DCS_BINARY_8BIT) or data_coding & 0xF4 == 0xF4:
        return "hex:" + body.hex()
    return body.decode("latin-1")


def encode_text(text: str) -> tuple[int, bytes]:
    """(data_coding, bytes): GSM 03.38 when it fits, UCS-2 otherwise."""
    gsm = gsm_encode(text)
    if gsm is not None:
        return DCS_DEFAULT, gsm
    return DCS_UCS2, text.encode("utf-16-be")


# ── privacy ──────────────────────────────────────────────────────────────────
def mask_number(value: str) -> str:
    """Mask a phone number for logs: ``+33612345678`` -> ``+3361****678``.

    Short codes and alphanumeric senders (fewer than 7 digits) are not personal data and are
    kept, so logs stay useful.
    """
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) < 7:
        return value
    plus = "+" if value.startswith("+") else ""
    return f"{plus}{digits[:4]}{'*' * (len(digits) - 7)}{digits[-3:]}"
