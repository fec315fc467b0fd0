"""The SMPP 3.4 side of the simulator: listener, sessions, submit handling and fault injection.

Why not ``smpp34.Server``: its Python surface accepts every bind unconditionally (no password
check, no bind_resp error), hides the bind type, cannot refuse connections or drop a session
abruptly, and forwards bind events through a channel that drops them under load. The
simulator needs all of those, so sessions are an ``asyncio.Protocol`` here, and the smpp34 Rust
codec does the heavy PDU work (``submit_sm`` decoding, ``deliver_sm`` encoding).

Hot path: one ``data_received`` call may carry many PDUs; their responses are joined into a
single ``transport.write`` (delayed once by ``latency_ms`` when set).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Final, cast

from herald_smsc import pdu
from herald_smsc.config import MessageIdFormat, MoRequest, ServerSettings, SimConfig
from herald_smsc.ledger import Ledger
from herald_smsc.pdu import (
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVCMDLEN,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_ROK,
    ESME_RTHROTTLED,
    HEADER,
    HEADER_LEN,
    MAX_PDU_LEN,
    PduError,
    mask_number,
)
from herald_smsc.receipts import (
    ANY_SYSTEM_ID,
    Deliverable,
    DeliveryQueue,
    OutcomePicker,
    build_receipt,
)

log = logging.getLogger("herald_smsc.server")

_unpack_header = HEADER.unpack_from
_MAX_SEQUENCE: Final = 0x7FFFFFFF
_SWEEP_INTERVAL_S: Final = 1.0
_UNBIND_GRACE_S: Final = 2.0


class BindType(StrEnum):
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"
    TRANSCEIVER = "transceiver"

    @property
    def can_submit(self) -> bool:
        return self is not BindType.RECEIVER

    @property
    def can_receive(self) -> bool:
        return self is not BindType.TRANSMITTER


_BIND_TYPES: Final = {
    pdu.BIND_TRANSMITTER: BindType.TRANSMITTER,
    pdu.BIND_RECEIVER: BindType.RECEIVER,
    pdu.BIND_TRANSCEIVER: BindType.TRANSCEIVER,
}


class MessageIds:
    """Fresh message ids: unique for the life of the process (a reset does not reuse them)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._hex_prefix = int.from_bytes(os.urandom(4), "big") | 0x10000000
        self._decimal_base = (int.from_bytes(os.urandom(4), "big") % 9_000 + 1_000) * 10**9

    def make(self, fmt: MessageIdFormat) -> str:
        n = next(self._counter)
        if fmt == "hex":
            return f"{self._hex_prefix:08x}{n:08x}"
        if fmt == "decimal":
            return str(self._decimal_base + n)
        return str(uuid.uuid4())


class Session(asyncio.Protocol):
    """One ESME TCP connection."""

    def __init__(self, smsc: SmscServer, session_id: int) -> None:
        self.smsc = smsc
        self.session_id = session_id
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.bind_type: BindType | None = None
        self.system_id = ""
        self.bound_at: float | None = None
        self.submits = 0
        self._buf = bytearray()
        self._responses: list[bytes] = []
        self._after_responses: list[Callable[[], None]] = []
        self._pushes: list[bytes] = []
        self._seq = 0
        self._outstanding: dict[int, tuple[Deliverable, float]] = {}
        self._closing = False
        self._quickack: Any = None  # the socket, when --tcp-quickack is on

    # ── asyncio.Protocol ──
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if self.smsc.settings.tcp_quickack and hasattr(socket, "TCP_QUICKACK"):
            self._quickack = transport.get_extra_info("socket")
        self.smsc.session_opened(self)

    def pause_writing(self) -> None:
        # The ESME is not reading its responses: stop reading its requests until it does.
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self.transport = None
        self.smsc.session_closed(self, exc)

    def data_received(self, data: bytes) -> None:
        if self._quickack is not None:
            # Linux leaves quick-ACK mode on its own; re-arm it after every read.
            self._quickack.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        buf = self._buf
        buf += data
        pos = 0
        size = len(buf)
        handle = self._handle
        while size - pos >= HEADER_LEN and not self._closing:
            length, command_id, status, sequence = _unpack_header(buf, pos)
            if length < HEADER_LEN or length > MAX_PDU_LEN:
                # The framing is lost: nothing after this can be trusted.
                log.warning("session %d: bad command_length %d, closing", self.session_id, length)
                self._respond(pdu.generic_nack(sequence, ESME_RINVCMDLEN))
                self._close_after_responses()
                break
            if size - pos < length:
                break
            handle(command_id, status, sequence, bytes(buf[pos : pos + length]))
            pos += length
        if pos:
            del buf[:pos]
        self._flush_responses()
        self.flush()

    # ── dispatch ──
    def _handle(self, command_id: int, status: int, sequence: int, raw: bytes) -> None:
        if command_id == pdu.SUBMIT_SM:
            if self.bind_type is None or not self.bind_type.can_submit:
                self._respond(pdu.submit_sm_resp(sequence, ESME_RINVBNDSTS, None))
                return
            self.submits += 1
            response = self.smsc.submit(self, sequence, raw)
            if response is not None:
                self._respond(response)
        elif command_id == pdu.DELIVER_SM_RESP:
            self._on_deliver_sm_resp(status, sequence)
        elif command_id == pdu.ENQUIRE_LINK:
            self._respond(pdu.empty_resp(pdu.ENQUIRE_LINK, sequence))
        elif command_id in pdu.BIND_COMMANDS:
            self._on_bind(command_id, sequence, raw)
        elif command_id == pdu.UNBIND:
            log.info("session %d (%s): unbind", self.session_id, self.system_id or "-")
            self._respond(pdu.empty_resp(pdu.UNBIND, sequence))
            self._close_after_responses()
        elif command_id == pdu.UNBIND_RESP:
            if self.transport is not None:
                self.transport.close()
            self._closing = True
        elif command_id == pdu.GENERIC_NACK:
            self._on_generic_nack(status, sequence)
        elif command_id & pdu.RESP_BIT:
            pass  # enquire_link_resp and friends: nothing to do
        elif self.bind_type is None:
            self._respond(pdu.generic_nack(sequence, ESME_RINVBNDSTS))
        else:
            # query_sm, cancel_sm, replace_sm, data_sm, submit_multi, unknown ids.
            self._respond(pdu.generic_nack(sequence, ESME_RINVCMDID))

    def _on_bind(self, command_id: int, sequence: int, raw: bytes) -> None:
        smsc = self.smsc
        if self.bind_type is not None:
            self._respond(pdu.bind_resp(command_id, sequence, ESME_RALYBND, smsc.smsc_system_id))
            return
        try:
            request = pdu.parse_bind(raw)
        except PduError as error:
            self._respond(pdu.bind_resp(command_id, sequence, error.status, smsc.smsc_system_id))
            return
        status = smsc.check_credentials(request.system_id, request.password)
        bind_type = _BIND_TYPES[command_id]
        if status != ESME_ROK:
            log.info(
                "session %d: %s bind refused for system_id %r (0x%02X)",
                self.session_id,
                bind_type,
                request.system_id,
                status,
            )
            self._respond(pdu.bind_resp(command_id, sequence, status, smsc.smsc_system_id))
            return
        self.bind_type = bind_type
        self.system_id = request.system_id
        self.bound_at = time.time()
        self._respond(pdu.bind_resp(command_id, sequence, ESME_ROK, smsc.smsc_system_id))
        # Only once the bind_resp is on the wire may deliver_sm follow it.
        self._after_responses.append(lambda: smsc.session_bound(self))

    # ── writing ──
    def _respond(self, data: bytes) -> None:
        self._responses.append(data)

    def _close_after_responses(self) -> None:
        self._closing = True
        self._after_responses.append(self._close)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _flush_responses(self) -> None:
        if not self._responses and not self._after_responses:
            return
        data = b"".join(self._responses)
        callbacks = self._after_responses
        self._responses = []
        self._after_responses = []
        latency = self.smsc.latency_s
        if latency > 0:
            asyncio.get_running_loop().call_later(latency, self._write_responses, data, callbacks)
        else:
            self._write_responses(data, callbacks)

    def _write_responses(self, data: bytes, callbacks: list[Callable[[], None]]) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if data:
            transport.write(data)
        for callback in callbacks:
            callback()

    # ── SMSC -> ESME (receipts, MO) ──
    def _next_sequence(self) -> int:
        self._seq = 1 if self._seq >= _MAX_SEQUENCE else self._seq + 1
        return self._seq

    @property
    def has_window(self) -> bool:
        return (
            self.bind_type is not None
            and self.bind_type.can_receive
            and not self._closing
            and self.transport is not None
            and len(self._outstanding) < self.smsc.settings.deliver_window
        )

    def send_deliverable(self, item: Deliverable) -> None:
        sequence = self._next_sequence()
        self._pushes.append(item.encode(sequence))
        self._outstanding[sequence] = (item, time.monotonic())

    def flush(self) -> None:
        if not self._pushes:
            return
        data = b"".join(self._pushes)
        self._pushes = []
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _on_deliver_sm_resp(self, status: int, sequence: int) -> None:
        entry = self._outstanding.pop(sequence, None)
        if entry is None:
            return
        queue = self.smsc.queue
        if status == ESME_ROK:
            queue.acked(entry[0])
        else:
            queue.retry_later(entry[0])
        queue.pump(self.system_id)
        queue.pump(ANY_SYSTEM_ID)

    def _on_generic_nack(self, status: int, sequence: int) -> None:
        if sequence in self._outstanding:
            self._on_deliver_sm_resp(status or pdu.ESME_RSYSERR, sequence)
        else:
            log.info("session %d: generic_nack 0x%02X seq %d", self.session_id, status, sequence)

    def take_outstanding(self) -> list[Deliverable]:
        items = [item for item, _ in self._outstanding.values()]
        self._outstanding.clear()
        return items

    def expire_outstanding(self, older_than: float) -> list[Deliverable]:
        expired = [seq for seq, (_, sent) in self._outstanding.items() if sent < older_than]
        return [self._outstanding.pop(seq)[0] for seq in expired]

    def send_unbind(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(pdu.unbind(self._next_sequence()))

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def describe(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "system_id": self.system_id,
            "bind_type": None if self.bind_type is None else str(self.bind_type),
            "peer": self.peer,
            "bound_at": self.bound_at,
            "submits": self.submits,
            "deliveries_in_flight": len(self._outstanding),
        }


class SmscServer:
    """Owns the listener, the sessions, the ledger, the delivery queue and the live config."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.smsc_system_id = settings.smsc_system_id
        self.ledger = Ledger()
        self.mos: list[Deliverable] = []  # every MO played, with its times (test data)
        self.queue = DeliveryQueue(self.receivers_for)
        self.config = settings.initial
        self._ids = MessageIds()
        self._session_ids = itertools.count(1)
        self._sessions: dict[int, Session] = {}
        self._receivers: dict[str, list[Session]] = {}
        self._listener: asyncio.Server | None = None
        self._port = settings.smpp_port
        self._sweeper: asyncio.Task[None] | None = None
        self.binds_total = 0
        self.connections_total = 0
        self.malformed_submits = 0
        # Hot-path copies of the config, refreshed by _apply().
        self.latency_s = 0.0
        self._blackhole = False
        self._throttle_ppm = 0
        self._throttle_acc = 0
        self._dlr_delay_s = 0.0
        self._id_format: MessageIdFormat = "hex"
        self._picker = OutcomePicker(self.config.outcomes)
        self._apply(self.config)

    # ── lifecycle ──
    @property
    def port(self) -> int:
        return self._port

    @property
    def listening(self) -> bool:
        return self._listener is not None

    async def start(self) -> None:
        if not self.config.refuse_connections:
            await self._open_listener()
        else:
            log.warning("SMPP listener not opened: refuse_connections is set")
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="smsc-deliver-sweeper")

    async def stop(self) -> None:
        self._close_listener()
        for session in list(self._sessions.values()):
            session.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self.queue.reset()
        await asyncio.sleep(0)  # let connection_lost callbacks run

    async def _open_listener(self) -> None:
        if self._listener is not None:
            return
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            lambda: Session(self, next(self._session_ids)),
            self.settings.host,
            self._port,
            reuse_address=True,
            backlog=1024,
        )
        self._port = self._listener.sockets[0].getsockname()[1]
        log.info("SMPP listening on %s:%d", self.settings.host, self._port)

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            log.info("SMPP listener closed")

    async def _sweep_forever(self) -> None:
        """Re-queue deliver_sm the ESME never answered (so a stuck window cannot wedge)."""
        timeout = self.settings.deliver_timeout_s
        while True:
            await asyncio.sleep(_SWEEP_INTERVAL_S)
            cutoff = time.monotonic() - timeout
            for session in list(self._sessions.values()):
                for item in session.expire_outstanding(cutoff):
                    self.queue.retry_later(item)

    # ── config & faults ──
    def _apply(self, config: SimConfig) -> None:
        self.config = config
        self.latency_s = config.latency_ms / 1000
        self._blackhole = config.blackhole
        self._throttle_ppm = round(config.throttle_ratio * 1_000_000)
        self._dlr_delay_s = config.dlr_delay_ms / 1000
        self._id_format = config.message_id_format

    async def set_config(self, config: SimConfig) -> SimConfig:
        previous = self.config
        if config.outcomes != previous.outcomes:
            self._picker = OutcomePicker(config.outcomes)
        self._apply(config)
        if config.refuse_connections and not previous.refuse_connections:
            self._close_listener()
        elif not config.refuse_connections and self._listener is None:
            await self._open_listener()
        if config != previous:
            log.info("config: %s", config.model_dump_json())
        return config

    async def reset(self) -> None:
        """Clear the ledger, counters, queued receipts and faults (binds stay up)."""
        self.ledger.clear()
        self.mos.clear()
        self.queue.reset()
        self._throttle_acc = 0
        self.binds_total = sum(1 for s in self._sessions.values() if s.bind_type is not None)
        self.connections_total = len(self._sessions)
        self.malformed_submits = 0
        self._picker = OutcomePicker(self.settings.initial.outcomes)
        await self.set_config(self.settings.initial)
        log.info("reset: ledger, counters and faults cleared")

    def disconnect_all(self, *, graceful: bool = False) -> int:
        """Drop every connection now (TCP abort), or send unbind first when ``graceful``."""
        sessions = list(self._sessions.values())
        loop = asyncio.get_running_loop()
        for session in sessions:
            if graceful and session.bind_type is not None:
                session.send_unbind()
                loop.call_later(_UNBIND_GRACE_S, session.abort)
            else:
                session.abort()
        log.info("disconnect: %d session(s) (%s)", len(sessions), "unbind" if graceful else "abort")
        return len(sessions)

    def check_credentials(self, system_id: str, password: str) -> int:
        expected_id = self.settings.system_id
        if expected_id is not None and system_id != expected_id:
            return ESME_RINVSYSID
        expected_password = self.settings.password
        if expected_password is not None and password != expected_password:
            return ESME_RINVPASWD
        return ESME_ROK

    # ── sessions ──
    def session_opened(self, session: Session) -> None:
        self._sessions[session.session_id] = session
        self.connections_total += 1
        log.info("session %d: connection from %s", session.session_id, session.peer)

    def session_bound(self, session: Session) -> None:
        self.binds_total += 1
        log.info(
            "session %d: bound %s as %s", session.session_id, session.system_id, session.bind_type
        )
        if session.bind_type is not None and session.bind_type.can_receive:
            self._receivers.setdefault(session.system_id, []).append(session)
            self.queue.pump(session.system_id)
            self.queue.pump(ANY_SYSTEM_ID)

    def session_closed(self, session: Session, exc: Exception | None) -> None:
        self._sessions.pop(session.session_id, None)
        receivers = self._receivers.get(session.system_id)
        if receivers is not None and session in receivers:
            receivers.remove(session)
            if not receivers:
                del self._receivers[session.system_id]
        in_flight = session.take_outstanding()
        log.info(
            "session %d (%s): closed%s, %d deliver_sm re-queued",
            session.session_id,
            session.system_id or "unbound",
            f" ({exc!r})" if exc else "",
            len(in_flight),
        )
        if in_flight:
            self.queue.requeue(in_flight)

    def receivers_for(self, system_id: str) -> Sequence[Session]:
        if system_id == ANY_SYSTEM_ID:
            return [s for sessions in self._receivers.values() for s in sessions]
        return self._receivers.get(system_id, ())

    def binds(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self._sessions.values() if s.bind_type is not None]

    # ── submit_sm (hot path) ──
    def submit(self, session: Session, sequence: int, raw: bytes) -> bytes | None:
        """Record a submit_sm and return its response (None: blackholed, never answered)."""
        try:
            sm = pdu.decode_submit_sm(raw)
        except PduError as error:
            self.malformed_submits += 1
            return pdu.submit_sm_resp(sequence, error.status, None)
        esm_class = sm.esm_class
        short_message = sm.short_message
        part, body = pdu.split_udh(esm_class, short_message)
        tlvs = sm.tlvs
        if tlvs:
            tlv_map = {tlv.tag: tlv.value for tlv in tlvs}
            payload = tlv_map.get(pdu.TLV_MESSAGE_PAYLOAD)
            if payload is not None and not short_message:
                part, body = pdu.split_udh(esm_class, payload)
            if part is None:
                part = pdu.sar_part(tlv_map)

        message_id: str | None
        status: int | None
        if self._blackhole:
            message_id, status = None, None
        elif self._throttle_ppm and self._throttled():
            message_id, status = None, ESME_RTHROTTLED
        else:
            message_id, status = self._ids.make(self._id_format), ESME_ROK

        now = time.time()
        source = sm.source_addr
        destination = sm.destination_addr
        data_coding = sm.data_coding
        registered_delivery = sm.registered_delivery
        self.ledger.record(
            system_id=session.system_id,
            session_id=session.session_id,
            pdu_seq=sequence,
            source=source,
            destination=destination,
            dest_ton=sm.dest_addr_ton,
            message_id=message_id,
            command_status=status,
            data_coding=data_coding,
            esm_class=esm_class,
            registered_delivery=registered_delivery,
            received_at=now,
            body=body,
            part=part,
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "submit_sm session=%d seq=%d %s -> %s id=%s status=%s",
                session.session_id,
                sequence,
                mask_number(source),
                mask_number(destination),
                message_id,
                status,
            )
        if status is None:
            return None
        if message_id is not None:
            wanted = registered_delivery & 0x03
            if wanted:
                outcome = self._picker.next()
                # 1: receipt on success or failure; 2: on failure only.
                if wanted == 1 or (wanted == 2 and not outcome.delivered):
                    delay = self._dlr_delay_s
                    self.queue.schedule(
                        build_receipt(
                            system_id=session.system_id,
                            message_id=message_id,
                            outcome=outcome,
                            submit_source=source,
                            submit_source_ton=sm.source_addr_ton,
                            submit_source_npi=sm.source_addr_npi,
                            submit_destination=destination,
                            submit_dest_ton=sm.dest_addr_ton,
                            submit_dest_npi=sm.dest_addr_npi,
                            data_coding=data_coding,
                            body=body,
                            submitted_at=now,
                            delay_s=delay,
                            generation=self.queue.generation,
                        ),
                        delay,
                    )
        return pdu.submit_sm_resp(sequence, status, message_id)

    def _throttled(self) -> bool:
        # Error diffusion: exactly throttle_ratio of the submits, evenly spread.
        self._throttle_acc += self._throttle_ppm
        if self._throttle_acc >= 1_000_000:
            self._throttle_acc -= 1_000_000
            return True
        return False

    # ── MO ──
    def send_mo(self, request: MoRequest) -> dict[str, Any]:
        # Without a system_id: any receiver bound now, else the first one to bind.
        system_id = request.system_id or next(iter(self._receivers), ANY_SYSTEM_ID)
        data_coding, body = pdu.encode_text(request.text)
        source, source_ton, source_npi = _address(request.source)
        destination, dest_ton, dest_npi = _address(request.destination)
        item = Deliverable(
            "mo",
            system_id,
            source,
            source_ton,
            source_npi,
            destination,
            dest_ton,
            dest_npi,
            0,
            data_coding,
            body,
            [],
            self.queue.generation,
            queued_at=time.time(),
        )
        self.mos.append(item)
        log.info(
            "MO %s -> %s for %s",
            mask_number(request.source),
            mask_number(request.destination),
            system_id,
        )
        self.queue.enqueue(item)
        return {
            "system_id": None if system_id == ANY_SYSTEM_ID else system_id,
            "sent": item.attempts > 0,
            "data_coding": data_coding,
        }

    # ── reporting ──
    def summary(self, top: int | None = None) -> dict[str, Any]:
        stats = self.queue.stats
        summary = self.ledger.summary(top)
        summary.update(
            dlr_sent=stats.dlr_sent,
            dlr_acked=stats.dlr_acked,
            mo_sent=stats.mo_sent,
            mo_acked=stats.mo_acked,
            deliveries_queued=self.queue.queued(),
            deliveries_scheduled=self.queue.scheduled(),
            delivery_retries=stats.retries,
            binds=sum(1 for s in self._sessions.values() if s.bind_type is not None),
            binds_total=self.binds_total,
            connections=len(self._sessions),
            connections_total=self.connections_total,
            malformed_submits=self.malformed_submits,
        )
        return summary


def _address(number: str) -> tuple[str, int, int]:
    """(address, TON, NPI): ``+E.164`` -> international/ISDN; letters -> alphanumeric."""
    if number.startswith("+"):
        return number[1:], 1, 1
    if not number.isdigit():
        return number, 5, 0
    return number, 0, 1
