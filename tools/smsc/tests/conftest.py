"""Fixtures: an in-process simulator on free ports, its control API, smpp34 binds, and a
minimal raw ESME for what smpp34's client cannot express (bind_resp status codes, unknown
commands, never acknowledging a deliver_sm, a submit that is never answered)."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
import smpp34

from herald_smsc.config import ServerSettings, SimConfig
from herald_smsc.runner import Simulator, running

Binder = Callable[..., Awaitable[smpp34.Smsc]]

DEFAULT_SETTINGS = ServerSettings(
    host="127.0.0.1", smpp_port=0, http_port=0, initial=SimConfig(dlr_delay_ms=20)
)


@pytest.fixture
def settings() -> ServerSettings:
    """Overridden by tests that need credentials or other start-up flags."""
    return DEFAULT_SETTINGS


@pytest.fixture
async def simulator(settings: ServerSettings) -> AsyncIterator[Simulator]:
    async with running(settings) as sim:
        yield sim


@pytest.fixture
async def api(simulator: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=simulator.http_url, timeout=5) as client:
        yield client


@pytest.fixture
async def bind(simulator: Simulator) -> AsyncIterator[Binder]:
    """bind(system_id=..., password=..., bind_type=...) -> a bound smpp34 session."""
    sessions: list[smpp34.Smsc] = []

    async def _bind(
        system_id: str = "herald", password: str = "pw", bind_type: str = "TRX"
    ) -> smpp34.Smsc:
        client = smpp34.Client(
            "127.0.0.1",
            simulator.smpp_port,
            system_id,
            password,
            bind_type=bind_type,
            window_size=64,
            connect_timeout_ms=1500,
        )
        session = await client.connect()
        sessions.append(session)
        return session

    yield _bind
    for session in sessions:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.unbind(), 2)


@pytest.fixture
async def raw_esme(simulator: Simulator) -> AsyncIterator[Callable[[], Awaitable[RawEsme]]]:
    """connect() -> a raw TCP ESME on the simulator's SMPP port (closed at teardown)."""
    opened: list[RawEsme] = []

    async def _connect() -> RawEsme:
        esme = await RawEsme.connect(simulator.smpp_port)
        opened.append(esme)
        return esme

    yield _connect
    for esme in opened:
        await esme.close()


HEADER = struct.Struct(">IIII")
BIND_COMMANDS = {"transmitter": 0x02, "receiver": 0x01, "transceiver": 0x09}


@dataclass
class Pdu:
    command_id: int
    status: int
    sequence: int
    body: bytes


class RawEsme:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._seq = 0

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> RawEsme:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def send(
        self, command_id: int, body: bytes = b"", *, seq: int | None = None, status: int = 0
    ) -> int:
        seq = self.next_seq() if seq is None else seq
        self.writer.write(HEADER.pack(16 + len(body), command_id, status, seq) + body)
        return seq

    async def read(self, within: float = 3.0) -> Pdu:
        header = await asyncio.wait_for(self.reader.readexactly(16), within)
        length, command_id, status, seq = HEADER.unpack(header)
        body = await asyncio.wait_for(self.reader.readexactly(length - 16), within)
        return Pdu(command_id, status, seq, body)

    async def expect(self, command_id: int, within: float = 3.0) -> Pdu:
        """The next PDU with this command_id, acknowledging deliver_sm seen on the way."""
        while True:
            pdu = await self.read(within)
            if pdu.command_id == command_id:
                return pdu
            if pdu.command_id == 0x05:
                self.send(0x80000005, b"\x00", seq=pdu.sequence)

    async def bind(
        self, kind: str = "transceiver", system_id: str = "raw", password: str = "pw"
    ) -> Pdu:
        command_id = BIND_COMMANDS[kind]
        body = (
            system_id.encode()
            + b"\x00"
            + password.encode()
            + b"\x00"
            + b"\x00"
            + bytes([0x34, 0, 0])
            + b"\x00"
        )
        self.send(command_id, body)
        return await self.expect(command_id | 0x80000000)

    def submit(
        self,
        destination: str,
        text: bytes,
        *,
        source: str = "36111",
        esm_class: int = 0,
        registered_delivery: int = 0,
        data_coding: int = 0,
        tlvs: list[smpp34.Tlv] | None = None,
    ) -> int:
        seq = self.next_seq()
        pdu = smpp34.SubmitSm(
            source,
            destination,
            text,
            esm_class=esm_class,
            registered_delivery=registered_delivery,
            data_coding=data_coding,
            tlvs=tlvs or [],
            sequence_number=seq,
            dest_addr_ton=1,
            dest_addr_npi=1,
        )
        self.writer.write(pdu.encode())
        return seq

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
