"""The SMPP side, driven by the smpp34 client (and a raw ESME where smpp34 cannot go)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import smpp34

from herald_smsc.config import ServerSettings, SimConfig
from herald_smsc.runner import Simulator

Binder = Callable[..., Awaitable[smpp34.Smsc]]
RawConnect = Callable[[], Awaitable[Any]]


async def next_deliver(session: smpp34.Smsc, within: float = 3.0) -> smpp34.DeliverSmEvent:
    event = await asyncio.wait_for(session.next(), within)
    assert isinstance(event, smpp34.DeliverSmEvent), event
    return event


def tlv_map(event: smpp34.DeliverSmEvent) -> dict[int, smpp34.Tlv]:
    return {tlv.tag: tlv for tlv in event.tlvs}


RECEIPT = re.compile(
    r"^id:(?P<id>\S+) sub:001 dlvrd:(?P<dlvrd>\d{3}) submit date:\d{10} done date:\d{10} "
    r"stat:(?P<stat>[A-Z]+) err:(?P<err>\d{3}) text:(?P<text>.*)$"
)


async def test_bind_submit_and_delivery_receipt(bind: Binder) -> None:
    session = await bind()
    resp = await session.submit_sm(
        "33612345678", b"Hello from Herald", source_addr="36111", registered_delivery=1
    )
    assert resp.is_success
    assert resp.message_id is not None
    assert re.fullmatch(r"[0-9a-f]{16}", resp.message_id)

    receipt = await next_deliver(session)
    assert receipt.esm_class == 0x04
    assert (receipt.source_addr, receipt.destination_addr) == ("33612345678", "36111")
    match = RECEIPT.match(receipt.short_message.decode("ascii"))
    assert match is not None, receipt.short_message
    assert match["id"] == resp.message_id
    assert (match["stat"], match["dlvrd"], match["err"]) == ("DELIVRD", "001", "000")
    assert match["text"] == "Hello from Herald"
    tlvs = tlv_map(receipt)
    assert tlvs[smpp34.TLV_RECEIPTED_MESSAGE_ID].as_string() == resp.message_id
    assert tlvs[smpp34.TLV_MESSAGE_STATE].as_int() == 2


async def test_message_ids_are_fresh_in_every_format(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    ids = [(await session.submit_sm("33612345678", b"a")).message_id for _ in range(3)]
    assert len(set(ids)) == 3
    await api.put("/config", json={"message_id_format": "decimal"})
    decimal = (await session.submit_sm("33612345678", b"a")).message_id
    assert decimal is not None
    assert decimal.isdigit()
    await api.put("/config", json={"message_id_format": "uuid"})
    uuid_id = (await session.submit_sm("33612345678", b"a")).message_id
    assert uuid_id is not None
    assert uuid.UUID(uuid_id).version == 4


async def test_outcome_mix(bind: Binder, api: httpx.AsyncClient) -> None:
    response = await api.put(
        "/config",
        json={"dlr_delay_ms": 0, "outcomes": {"delivered": 2, "undeliverable": 1, "expired": 1}},
    )
    assert response.status_code == 200
    session = await bind()
    responses = await asyncio.gather(
        *(session.submit_sm(f"3361234{i:04d}", b"mix", registered_delivery=1) for i in range(40))
    )
    sent = {resp.message_id for resp in responses}
    stats: dict[str, int] = {}
    states: dict[str, int] = {}
    for _ in range(40):
        receipt = await next_deliver(session)
        match = RECEIPT.match(receipt.short_message.decode())
        assert match is not None
        assert match["id"] in sent
        stats[match["stat"]] = stats.get(match["stat"], 0) + 1
        state = tlv_map(receipt)[smpp34.TLV_MESSAGE_STATE].as_int()
        assert state is not None
        states[match["stat"]] = state
    assert stats == {"DELIVRD": 20, "UNDELIV": 10, "EXPIRED": 10}
    assert states == {"DELIVRD": 2, "UNDELIV": 5, "EXPIRED": 3}


async def test_receipts_only_when_asked(bind: Binder, api: httpx.AsyncClient) -> None:
    await api.put(
        "/config", json={"dlr_delay_ms": 0, "outcomes": {"delivered": 1, "undeliverable": 1}}
    )
    session = await bind()
    await session.submit_sm("33612345678", b"no receipt", registered_delivery=0)
    # registered_delivery 2 = failures only: of two submits, only the undeliverable one.
    first = await session.submit_sm("33612345678", b"a", registered_delivery=2)
    second = await session.submit_sm("33612345678", b"b", registered_delivery=2)
    receipt = await next_deliver(session)
    assert b"stat:UNDELIV" in receipt.short_message
    assert tlv_map(receipt)[smpp34.TLV_RECEIPTED_MESSAGE_ID].as_string() in {
        first.message_id,
        second.message_id,
    }
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(session.next(), 0.3)
    summary = (await api.get("/ledger/summary")).json()
    assert summary["dlr_sent"] == 1


async def test_throttle_injection_answers_0x58(bind: Binder, api: httpx.AsyncClient) -> None:
    await api.put("/config", json={"throttle_ratio": 1.0})
    session = await bind()
    resp = await session.submit_sm("33612345678", b"x", registered_delivery=1)
    assert resp.command_status == 0x58 == smpp34.ESME_RTHROTTLED
    assert not resp.is_success
    assert resp.message_id is None

    await api.put("/config", json={"throttle_ratio": 0.5})
    statuses = [(await session.submit_sm("33612345678", b"x")).command_status for _ in range(10)]
    assert statuses.count(0x58) == 5
    summary = (await api.get("/ledger/summary")).json()
    assert (summary["submits"], summary["rejected"], summary["accepted"]) == (11, 6, 5)
    assert summary["dlr_sent"] == 0


async def test_mo_is_delivered_to_a_bound_transceiver(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    response = await api.post(
        "/mo", json={"source": "+33612345678", "destination": "36111", "text": "STOP"}
    )
    assert response.status_code == 202
    assert response.json() == {"system_id": "herald", "sent": True, "data_coding": 0}
    mo = await next_deliver(session)
    assert mo.esm_class == 0
    assert (mo.source_addr, mo.source_addr_ton) == ("33612345678", 1)
    assert mo.destination_addr == "36111"
    assert (mo.data_coding, mo.short_message) == (0, b"STOP")
    assert (await api.get("/ledger/summary")).json()["mo_sent"] == 1


async def test_the_mo_log_times_each_mo_from_queued_to_acknowledged(
    bind: Binder, api: httpx.AsyncClient
) -> None:
    session = await bind()
    before = time.time()
    await api.post("/mo", json={"source": "+33612345678", "destination": "36111", "text": "STOP"})
    await next_deliver(session)  # the client answers it with deliver_sm_resp ESME_ROK

    async def acknowledged() -> dict[str, Any]:
        for _ in range(100):
            [entry] = (await api.get("/mo")).json()["entries"]
            if entry["acked_at"] is not None:
                return dict(entry)
            await asyncio.sleep(0.02)
        raise AssertionError("the MO was never acknowledged")

    entry = await acknowledged()
    assert (entry["source"], entry["destination"], entry["attempts"]) == ("33612345678", "36111", 1)
    assert before <= entry["queued_at"] <= entry["sent_at"] <= entry["acked_at"] <= time.time()
    await api.post("/reset")
    assert (await api.get("/mo")).json() == {"total": 0, "offset": 0, "entries": []}


async def test_mo_before_any_bind_goes_to_the_first_receiver(
    bind: Binder, api: httpx.AsyncClient
) -> None:
    response = await api.post(
        "/mo", json={"source": "+33612345678", "destination": "36111", "text": "STOP"}
    )
    assert response.status_code == 202
    assert response.json()["sent"] is False
    transmitter = await bind(bind_type="TX")  # cannot receive: the MO keeps waiting
    assert (await api.get("/ledger/summary")).json()["deliveries_queued"] == 1
    receiver = await bind(system_id="late", bind_type="RX")
    mo = await next_deliver(receiver)
    assert mo.short_message == b"STOP"
    assert transmitter is not None


async def test_mo_for_a_system_id_waits_for_its_receiver(
    bind: Binder, api: httpx.AsyncClient
) -> None:
    response = await api.post(
        "/mo",
        json={"source": "+33612345678", "destination": "36111", "text": "Arrêt", "system_id": "rx"},
    )
    assert response.status_code == 202
    assert response.json()["sent"] is False
    receiver = await bind(system_id="rx", bind_type="RX")
    mo = await next_deliver(receiver)
    # ê is not in the GSM 03.38 alphabet: UCS-2.
    assert (mo.data_coding, mo.short_message.decode("utf-16-be")) == (8, "Arrêt")


async def test_receipts_wait_for_a_receiver_of_the_same_system_id(
    bind: Binder, api: httpx.AsyncClient
) -> None:
    transmitter = await bind(system_id="split", bind_type="TX")
    other = await bind(system_id="someone-else", bind_type="RX")
    resp = await transmitter.submit_sm("33612345678", b"queued", registered_delivery=1)
    await asyncio.sleep(0.2)
    summary = (await api.get("/ledger/summary")).json()
    assert summary["deliveries_queued"] == 1
    assert summary["dlr_sent"] == 0
    receiver = await bind(system_id="split", bind_type="RX")
    receipt = await next_deliver(receiver)
    assert tlv_map(receipt)[smpp34.TLV_RECEIPTED_MESSAGE_ID].as_string() == resp.message_id
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(other.next(), 0.2)


async def test_unacknowledged_receipts_are_retried_on_reconnect(
    raw_esme: RawConnect, bind: Binder, api: httpx.AsyncClient
) -> None:
    raw = await raw_esme()
    assert (await raw.bind("transceiver", system_id="flaky")).status == 0
    raw.submit("33612345678", b"retry me", registered_delivery=1)
    resp = await raw.expect(0x80000004)
    message_id = resp.body.rstrip(b"\x00").decode()
    first = await raw.read()  # the receipt; deliberately never acknowledged
    assert first.command_id == 0x05
    assert (await api.post("/disconnect")).json() == {"disconnected": 1}

    session = await bind(system_id="flaky")
    receipt = await next_deliver(session)
    assert tlv_map(receipt)[smpp34.TLV_RECEIPTED_MESSAGE_ID].as_string() == message_id
    summary = (await api.get("/ledger/summary")).json()
    assert summary["delivery_retries"] == 1
    assert summary["dlr_sent"] == 1


async def test_disconnect_drops_every_bind(bind: Binder, api: httpx.AsyncClient) -> None:
    first = await bind()
    second = await bind(bind_type="RX")
    assert len((await api.get("/binds")).json()) == 2
    assert (await api.post("/disconnect")).json() == {"disconnected": 2}
    for session in (first, second):
        event = await asyncio.wait_for(session.next(), 3)
        assert isinstance(event, smpp34.Disconnected)
    await asyncio.sleep(0.05)
    assert (await api.get("/ledger/summary")).json()["binds"] == 0
    again = await bind()
    assert (await again.submit_sm("33612345678", b"back")).is_success


async def test_disconnect_with_unbind(raw_esme: RawConnect, api: httpx.AsyncClient) -> None:
    raw = await raw_esme()
    assert (await raw.bind()).status == 0
    assert (await api.post("/disconnect", params={"mode": "unbind"})).status_code == 200
    unbind = await raw.expect(0x00000006)
    raw.send(0x80000006, seq=unbind.sequence)
    assert await raw.reader.read() == b""  # the SMSC closes after unbind_resp


async def test_refuse_connections(
    simulator: Simulator, bind: Binder, api: httpx.AsyncClient
) -> None:
    response = await api.put("/config", json={"refuse_connections": True})
    assert response.json()["refuse_connections"] is True
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", simulator.smpp_port)
    started = time.monotonic()
    with pytest.raises(smpp34.SmppError):
        await bind()
    assert time.monotonic() - started < 1.0  # refused, not timed out
    assert (await api.get("/readyz")).json()["smpp_listening"] is False

    await api.put("/config", json={"refuse_connections": False})
    session = await bind()
    assert (await session.submit_sm("33612345678", b"up again")).is_success


async def test_blackhole_accepts_and_never_answers(
    raw_esme: RawConnect, api: httpx.AsyncClient
) -> None:
    await api.put("/config", json={"blackhole": True})
    raw = await raw_esme()
    assert (await raw.bind()).status == 0
    raw.submit("33612345678", b"into the void", registered_delivery=1)
    link = raw.send(0x00000015)  # enquire_link still answered: the bind looks healthy
    reply = await raw.read()
    assert (reply.command_id, reply.sequence) == (0x80000015, link)
    with pytest.raises(TimeoutError):
        await raw.read(within=0.3)
    summary = (await api.get("/ledger/summary")).json()
    assert (summary["submits"], summary["unanswered"], summary["dlr_sent"]) == (1, 1, 0)


async def test_latency_delays_responses(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    await api.put("/config", json={"latency_ms": 250})
    started = time.monotonic()
    assert (await session.submit_sm("33612345678", b"slow")).is_success
    assert time.monotonic() - started >= 0.24


async def test_session_rules_and_generic_nack(raw_esme: RawConnect) -> None:
    raw = await raw_esme()
    link = raw.send(0x00000015)
    assert (await raw.read()).command_id == 0x80000015, link
    raw.submit("33612345678", b"too early")
    early = await raw.read()
    assert (early.command_id, early.status) == (0x80000004, 0x04)  # ESME_RINVBNDSTS
    assert (await raw.bind("receiver")).status == 0
    assert (await raw.bind("receiver")).status == 0x05  # ESME_RALYBND
    raw.submit("33612345678", b"receivers cannot submit")
    refused = await raw.read()
    assert (refused.command_id, refused.status) == (0x80000004, 0x04)
    unknown = raw.send(0x00000099)
    nack = await raw.read()
    assert (nack.command_id, nack.status, nack.sequence) == (0x80000000, 0x03, unknown)
    raw.send(0x00000006)
    assert (await raw.read()).command_id == 0x80000006
    assert await raw.reader.read() == b""


async def test_multipart_parts_are_recorded(raw_esme: RawConnect, api: httpx.AsyncClient) -> None:
    raw = await raw_esme()
    assert (await raw.bind()).status == 0
    for index, text in ((1, b"Hello "), (2, b"world")):
        raw.submit("33612345678", bytes([5, 0, 3, 0x7F, 2, index]) + text, esm_class=0x40)
    for index, text in ((1, b"SAR one "), (2, b"SAR two")):
        raw.submit(
            "33612345679",
            text,
            tlvs=[
                smpp34.Tlv(smpp34.TLV_SAR_MSG_REF_NUM, (513).to_bytes(2, "big")),
                smpp34.Tlv(smpp34.TLV_SAR_TOTAL_SEGMENTS, bytes([2])),
                smpp34.Tlv(smpp34.TLV_SAR_SEGMENT_SEQNUM, bytes([index])),
            ],
        )
    ids = {(await raw.expect(0x80000004)).body for _ in range(4)}
    assert len(ids) == 4  # every part gets its own message id
    items = (await api.get("/ledger")).json()["entries"]
    assert [(i["text"], i["part"]) for i in items] == [
        ("Hello ", {"ref": 0x7F, "total": 2, "index": 1, "scheme": "udh8"}),
        ("world", {"ref": 0x7F, "total": 2, "index": 2, "scheme": "udh8"}),
        ("SAR one ", {"ref": 513, "total": 2, "index": 1, "scheme": "sar"}),
        ("SAR two", {"ref": 513, "total": 2, "index": 2, "scheme": "sar"}),
    ]
    assert items[0]["esm_class"] == 0x40


class TestCredentials:
    @pytest.fixture
    def settings(self) -> ServerSettings:
        return ServerSettings(
            smpp_port=0,
            http_port=0,
            system_id="herald",
            password="s3cret",
            initial=SimConfig(dlr_delay_ms=20),
        )

    async def test_enforced_credentials(self, raw_esme: RawConnect, bind: Binder) -> None:
        raw = await raw_esme()
        assert (await raw.bind(system_id="herald", password="wrong")).status == 0x0E
        assert (await raw.bind(system_id="intruder", password="s3cret")).status == 0x0F
        accepted = await raw.bind(system_id="herald", password="s3cret")
        assert accepted.status == 0
        assert accepted.body.startswith(b"HERALDSMSC\x00")
        # smpp34's client cannot tell a refused bind from a slow one: connect() times out.
        with pytest.raises(smpp34.SmppError):
            await bind(system_id="herald", password="wrong")
        session = await bind(system_id="herald", password="s3cret")
        assert (await session.submit_sm("33612345678", b"ok")).is_success
