"""An SMPP 3.4 transceiver session over asyncio, with the smpp34 codec for the PDU bodies.

Why not `smpp34.Client`: its session acknowledges every inbound `deliver_sm` by itself, the
moment it arrives. Herald must answer a receipt only after the receipt is committed to its
database (a crash in between would lose it: the SMSC never re-sends what we acknowledged).
So the session is an `asyncio.Protocol` here; smpp34 encodes `submit_sm` and decodes
`deliver_sm` (the PDUs with real bodies and TLVs), and the session PDUs, which are a header
and a few C-strings, are packed by hand.

What the session guarantees its caller:
- `send_submit` raises `NotSent` when the PDU cannot have left (no bind, closed socket):
  the message may be sent again safely;
- once written, the returned future ends with the `SubmitResponse`, or `ResponseTimeout`
  / `ConnectionLost`: the SMSC may or may not have taken it (in doubt);
- at most `window` submit_sm are outstanding; the SMSC's `enquire_link` is answered; an
  idle link is probed with our own `enquire_link`, and a probe without an answer (or a
  submit timeout followed by a silent probe) drops the connection;
- an inbound `deliver_sm` is handed to `on_deliver` unanswered: the caller answers with
  `respond_deliver(sequence, status)` once it is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import smpp34

from herald_dispatcher.domain.messages import Address, Part
from herald_dispatcher.domain.smpp_status import (
    ESME_RINVCMDID,
    ESME_ROK,
    ESME_RX_P_APPN,
    describe,
    status_code,
)
from herald_kit.logs import get_logger

log = get_logger(__name__)

GENERIC_NACK: Final = 0x80000000
RESP_BIT: Final = 0x80000000
SUBMIT_SM: Final = 0x00000004
DELIVER_SM: Final = 0x00000005
UNBIND: Final = 0x00000006
BIND_TRANSCEIVER: Final = 0x00000009
ENQUIRE_LINK: Final = 0x00000015
SUBMIT_SM_RESP: Final = SUBMIT_SM | RESP_BIT
DELIVER_SM_RESP: Final = DELIVER_SM | RESP_BIT
UNBIND_RESP: Final = UNBIND | RESP_BIT
BIND_TRANSCEIVER_RESP: Final = BIND_TRANSCEIVER | RESP_BIT
ENQUIRE_LINK_RESP: Final = ENQUIRE_LINK | RESP_BIT

HEADER: Final = struct.Struct(">IIII")
HEADER_LEN: Final = 16
MAX_PDU_LEN: Final = 64 * 1024
MAX_SEQUENCE: Final = 0x7FFFFFFF
INTERFACE_VERSION: Final = 0x34
UNBIND_WAIT_S: Final = 2.0


class SmppError(Exception):
    pass


class NotSent(SmppError):
    """The PDU never left this process: sending the message again cannot duplicate it."""


class InDoubt(SmppError):
    """The PDU was written, and no answer came: the SMSC may or may not have taken it."""


class ResponseTimeout(InDoubt):
    pass


class ConnectionLost(InDoubt):
    pass


class BindRefused(SmppError):
    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {describe(status)} ({status_code(status)})")
        self.status = status


@dataclass(frozen=True)
class SubmitResponse:
    command_status: int
    message_id: str | None

    @property
    def ok(self) -> bool:
        return self.command_status == ESME_ROK and bool(self.message_id)


@dataclass(frozen=True)
class InboundDeliver:
    """A `deliver_sm` waiting for its `deliver_sm_resp`."""

    session: SmppSession
    sequence: int
    pdu: smpp34.DeliverSm
    received_at: datetime


@dataclass
class _Pending:
    future: asyncio.Future[Any]
    timer: asyncio.TimerHandle
    command_id: int
    windowed: bool


def _c_string(value: str) -> bytes:
    return value.encode("ascii", errors="replace") + b"\x00"


def _pdu(command_id: int, status: int, sequence: int, body: bytes = b"") -> bytes:
    return HEADER.pack(HEADER_LEN + len(body), command_id, status, sequence) + body


class SmppSession(asyncio.Protocol):
    """One TCP connection bound as a transceiver. Not reusable: reconnect with a new one."""

    def __init__(
        self,
        *,
        window: int,
        response_timeout_s: float,
        enquire_link_s: float,
        on_deliver: Callable[[InboundDeliver], None],
        on_timeout: Callable[[], None] = lambda: None,
    ) -> None:
        self.window = window
        self.response_timeout_s = response_timeout_s
        self.enquire_link_s = enquire_link_s
        self.on_deliver = on_deliver
        self.on_timeout = on_timeout
        self.bound = False
        self.closed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._pending: dict[int, _Pending] = {}
        self._slots = asyncio.Semaphore(window)
        self._sequence = 0
        self._outgoing: list[bytes] = []
        self._flush_scheduled = False
        self._last_received = self._loop.time()
        self._probe_now = asyncio.Event()
        self._keepalive: asyncio.Task[None] | None = None

    # ── asyncio.Protocol ──────────────────────────────────────────────────────
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._last_received = self._loop.time()
        buffer = self._buffer
        buffer += data
        position = 0
        size = len(buffer)
        while size - position >= HEADER_LEN:
            length, command_id, status, sequence = HEADER.unpack_from(buffer, position)
            if length < HEADER_LEN or length > MAX_PDU_LEN:
                log.error("smpp.bad_frame", command_length=length)
                self.abort()
                return
            if size - position < length:
                break
            raw = bytes(buffer[position : position + length])
            position += length
            try:
                self._dispatch(command_id, status, sequence, raw)
            except Exception as error:  # one bad PDU must not kill the session silently
                log.exception("smpp.dispatch_failed", command_id=hex(command_id), error=repr(error))
        if position:
            del buffer[:position]

    def connection_lost(self, exc: Exception | None) -> None:
        self.bound = False
        self._transport = None
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            entry.timer.cancel()
            if entry.windowed:
                self._slots.release()
            if not entry.future.done():
                entry.future.set_exception(ConnectionLost("connection lost before the answer"))
        if self._keepalive is not None:
            self._keepalive.cancel()
        self.closed.set()
        if exc is not None:
            log.warning("smpp.connection_lost", error=repr(exc), in_flight=len(pending))

    # ── inbound PDUs ──────────────────────────────────────────────────────────
    def _dispatch(self, command_id: int, status: int, sequence: int, raw: bytes) -> None:
        if command_id & RESP_BIT:
            self._on_response(command_id, status, sequence, raw[HEADER_LEN:])
        elif command_id == DELIVER_SM:
            self._on_deliver_sm(sequence, raw)
        elif command_id == ENQUIRE_LINK:
            self._write(_pdu(ENQUIRE_LINK_RESP, ESME_ROK, sequence))
        elif command_id == UNBIND:
            log.info("smpp.unbind_by_smsc")
            self.bound = False
            self._write(_pdu(UNBIND_RESP, ESME_ROK, sequence))
            self._flush()
            if self._transport is not None:
                self._transport.close()
        else:
            self._write(_pdu(GENERIC_NACK, ESME_RINVCMDID, sequence))

    def _on_response(self, command_id: int, status: int, sequence: int, body: bytes) -> None:
        entry = self._pending.pop(sequence, None)
        if entry is None:
            return  # answered after its timeout, or not ours: nothing waits for it any more
        entry.timer.cancel()
        if entry.windowed:
            self._slots.release()
        if entry.future.done():
            return
        if entry.command_id == SUBMIT_SM:
            message_id = body.split(b"\x00", 1)[0].decode("ascii", errors="replace") or None
            if command_id == GENERIC_NACK and status == ESME_ROK:
                status = ESME_RINVCMDID
            entry.future.set_result(SubmitResponse(status, message_id))
        else:
            entry.future.set_result((command_id, status, body))

    def _on_deliver_sm(self, sequence: int, raw: bytes) -> None:
        try:
            pdu = smpp34.decode(raw)
        except smpp34.SmppError as error:
            log.error("smpp.bad_deliver_sm", error=str(error))
            self.respond_deliver(sequence, ESME_RX_P_APPN)
            return
        if not isinstance(pdu, smpp34.DeliverSm):
            self.respond_deliver(sequence, ESME_RX_P_APPN)
            return
        self.on_deliver(InboundDeliver(self, sequence, pdu, datetime.now(UTC)))

    # ── writing ───────────────────────────────────────────────────────────────
    @property
    def usable(self) -> bool:
        return self.bound and self._transport is not None and not self._transport.is_closing()

    def _write(self, data: bytes) -> None:
        """Coalesce the PDUs of one loop iteration into one socket write."""
        self._outgoing.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._outgoing:
            return
        data = b"".join(self._outgoing)
        self._outgoing = []
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _next_sequence(self) -> int:
        self._sequence = 1 if self._sequence >= MAX_SEQUENCE else self._sequence + 1
        return self._sequence

    def _request(self, command_id: int, body: bytes, *, windowed: bool) -> asyncio.Future[Any]:
        sequence = self._next_sequence()
        future: asyncio.Future[Any] = self._loop.create_future()
        timer = self._loop.call_later(self.response_timeout_s, self._expire, sequence)
        self._pending[sequence] = _Pending(future, timer, command_id, windowed)
        if command_id == SUBMIT_SM:
            body = body[:12] + struct.pack(">I", sequence) + body[16:]  # the encoded PDU
            self._write(body)
        else:
            self._write(_pdu(command_id, ESME_ROK, sequence, body))
        return future

    def _expire(self, sequence: int) -> None:
        entry = self._pending.pop(sequence, None)
        if entry is None:
            return
        if entry.windowed:
            self._slots.release()
        if not entry.future.done():
            entry.future.set_exception(ResponseTimeout(f"no answer in {self.response_timeout_s}s"))
        if entry.command_id == SUBMIT_SM:
            self.on_timeout()
            self._probe_now.set()  # is the link alive at all? probe it now

    # ── API ───────────────────────────────────────────────────────────────────
    async def bind(self, system_id: str, password: str, system_type: str = "") -> None:
        body = (
            _c_string(system_id)
            + _c_string(password)
            + _c_string(system_type)
            + bytes((INTERFACE_VERSION, 0, 0))
            + _c_string("")
        )
        try:
            _, status, _ = await self._request(BIND_TRANSCEIVER, body, windowed=False)
        except InDoubt as error:
            raise SmppError(f"no bind answer: {error}") from error
        if status != ESME_ROK:
            raise BindRefused(status)
        self.bound = True
        self._last_received = self._loop.time()
        self._keepalive = asyncio.create_task(self._keep_alive(), name="smpp-keepalive")

    async def send_submit(
        self,
        source: Address,
        destination: Address,
        part: Part,
        *,
        registered_delivery: int = 1,
    ) -> asyncio.Future[SubmitResponse]:
        """Write one submit_sm once a window slot is free; the future gives its answer."""
        if not self.usable:
            raise NotSent("not bound")
        await self._slots.acquire()
        if not self.usable:
            self._slots.release()
            raise NotSent("the bind went away while waiting for a window slot")
        pdu = smpp34.SubmitSm(
            source.value,
            destination.value,
            part.short_message,
            source_addr_ton=source.ton,
            source_addr_npi=source.npi,
            dest_addr_ton=destination.ton,
            dest_addr_npi=destination.npi,
            esm_class=part.esm_class,
            registered_delivery=registered_delivery,
            data_coding=part.data_coding,
            sequence_number=0,
        ).encode()
        future: asyncio.Future[SubmitResponse] = self._request(SUBMIT_SM, pdu, windowed=True)
        return future

    async def submit(self, source: Address, destination: Address, part: Part) -> SubmitResponse:
        return await (await self.send_submit(source, destination, part))

    def respond_deliver(self, sequence: int, status: int = ESME_ROK) -> bool:
        """Answer a deliver_sm; False when this connection is gone (the SMSC re-sends)."""
        if self._transport is None or self._transport.is_closing():
            return False
        self._write(_pdu(DELIVER_SM_RESP, status, sequence, b"\x00"))
        return True

    async def enquire_link(self) -> None:
        await self._request(ENQUIRE_LINK, b"", windowed=False)

    async def _keep_alive(self) -> None:
        tick = min(1.0, self.enquire_link_s)
        while self.usable:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._probe_now.wait(), timeout=tick)
            probe = self._probe_now.is_set()
            idle = self._loop.time() - self._last_received >= self.enquire_link_s
            if not (probe or idle) or not self.usable:
                continue
            self._probe_now.clear()
            try:
                await self.enquire_link()
            except InDoubt:
                log.warning("smpp.link_dead", reason="enquire_link unanswered")
                self.abort()
                return

    async def unbind(self) -> None:
        """Say goodbye (bounded wait), then close."""
        if self.usable:
            self.bound = False
            with contextlib.suppress(InDoubt, TimeoutError):
                await asyncio.wait_for(
                    self._request(UNBIND, b"", windowed=False), timeout=UNBIND_WAIT_S
                )
        if self._transport is not None:
            self._transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), timeout=UNBIND_WAIT_S)
        if not self.closed.is_set():
            self.abort()

    def abort(self) -> None:
        self.bound = False
        if self._transport is not None:
            self._transport.abort()

    @property
    def in_flight(self) -> int:
        return sum(1 for entry in self._pending.values() if entry.windowed)


async def open_session(
    host: str,
    port: int,
    system_id: str,
    password: str,
    *,
    system_type: str = "",
    window: int,
    response_timeout_s: float,
    enquire_link_s: float,
    on_deliver: Callable[[InboundDeliver], None],
    on_timeout: Callable[[], None] = lambda: None,
) -> SmppSession:
    """Connect and bind as a transceiver; raises OSError, TimeoutError or SmppError."""
    loop = asyncio.get_running_loop()
    session = SmppSession(
        window=window,
        response_timeout_s=response_timeout_s,
        enquire_link_s=enquire_link_s,
        on_deliver=on_deliver,
        on_timeout=on_timeout,
    )
    await asyncio.wait_for(
        loop.create_connection(lambda: session, host, port), timeout=response_timeout_s
    )
    try:
        await session.bind(system_id, password, system_type)
    except BaseException:
        session.abort()
        raise
    return session
