"""The control API: ledger, summary, config validation, reset, health."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest
import smpp34

Binder = Callable[..., Awaitable[smpp34.Smsc]]


async def test_health_and_metrics(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = (await api.get("/readyz")).json()
    assert ready["smpp_listening"] is True
    metrics = (await api.get("/metrics")).text
    assert "smsc_submits_total 0" in metrics


async def test_ledger_summary_counts_duplicates(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    for _ in range(3):
        await session.submit_sm("33612345678", b"Same text", source_addr="36111")
    await session.submit_sm("33612345678", b"Other text", source_addr="36111")
    await session.submit_sm("33698765432", b"Same text", source_addr="36111")

    summary = (await api.get("/ledger/summary")).json()
    assert summary["submits"] == 5
    assert summary["unique_message_ids"] == 5
    assert summary["duplicate_destinations_texts"] == 2
    assert summary["by_destination_count"] == {"33612345678": 4, "33698765432": 1}
    assert summary["binds"] == 1
    assert (summary["dlr_sent"], summary["mo_sent"]) == (0, 0)
    top = (await api.get("/ledger/summary", params={"top": 1})).json()
    assert top["by_destination_count"] == {"33612345678": 4}


async def test_throttled_retries_are_not_duplicates(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    await api.put("/config", json={"throttle_ratio": 1})
    assert not (await session.submit_sm("33612345678", b"retry")).is_success
    await api.put("/config", json={"throttle_ratio": 0})
    assert (await session.submit_sm("33612345678", b"retry")).is_success
    summary = (await api.get("/ledger/summary")).json()
    assert (summary["submits"], summary["duplicate_destinations_texts"]) == (2, 0)


async def test_ledger_entries_and_filters(bind: Binder, api: httpx.AsyncClient) -> None:
    session = await bind()
    first = await session.submit_sm(
        "33612345678", b"Bonjour @ vous", source_addr="36111", registered_delivery=1
    )
    for i in range(4):
        await session.submit_sm("33600000000", f"n{i}".encode(), source_addr="36111")
    await session.submit_sm(
        "33612345678", "Привет".encode("utf-16-be"), source_addr="36111", data_coding=8
    )

    page = (await api.get("/ledger", params={"destination": "+33612345678"})).json()
    assert page["total"] == 2
    entry = page["entries"][0]
    assert entry["seq"] == 1
    assert entry["system_id"] == "herald"
    assert (entry["source"], entry["destination"]) == ("36111", "33612345678")
    assert entry["message_id"] == first.message_id
    assert (entry["data_coding"], entry["esm_class"], entry["registered_delivery"]) == (0, 0, 1)
    assert entry["text"] == "Bonjour ¡ vous"  # data_coding 0 is GSM 03.38: 0x40 is ¡
    assert entry["received_at"].endswith("+00:00")
    assert entry["command_status"] == 0
    assert page["entries"][1]["text"] == "Привет"

    paged = (await api.get("/ledger", params={"limit": 2, "offset": 2})).json()
    assert paged["total"] == 6
    assert [item["seq"] for item in paged["entries"]] == [3, 4]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"throttle_ratio": 1.5}, "throttle_ratio"),
        ({"dlr_delay_ms": -1}, "dlr_delay_ms"),
        ({"latency_ms": "slow"}, "latency_ms"),
        ({"message_id_format": "octal"}, "message_id_format"),
        ({"outcomes": {"delivered": 0, "undeliverable": 0, "expired": 0}}, "outcomes"),
        ({"outcomes": {"delivered": -1}}, "delivered"),
        ({"blackhole": "maybe"}, "blackhole"),
        ({"no_such_knob": 1}, "no_such_knob"),
    ],
)
async def test_bad_config_is_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    before = (await api.get("/config")).json()
    response = await api.put("/config", json=body)
    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(field in loc for loc in locations), locations
    assert (await api.get("/config")).json() == before


async def test_other_bad_input_is_422(api: httpx.AsyncClient) -> None:
    assert (await api.get("/ledger", params={"limit": 0})).status_code == 422
    assert (await api.get("/ledger", params={"offset": -1})).status_code == 422
    response = await api.post("/mo", json={"source": "+33612345678", "destination": "36111"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]
    assert (await api.post("/disconnect", params={"mode": "explode"})).status_code == 422


async def test_config_round_trip_and_reset(bind: Binder, api: httpx.AsyncClient) -> None:
    defaults = (await api.get("/config")).json()
    assert defaults["message_id_format"] == "hex"
    changed = (
        await api.put(
            "/config",
            json={"throttle_ratio": 0.25, "blackhole": True, "outcomes": {"expired": 1}},
        )
    ).json()
    # Fields not given keep their value; outcomes is replaced as a whole.
    assert changed["dlr_delay_ms"] == defaults["dlr_delay_ms"]
    assert changed["outcomes"] == {"delivered": 0.0, "undeliverable": 0.0, "expired": 1.0}
    assert changed["throttle_ratio"] == 0.25

    await api.put("/config", json={"blackhole": False, "throttle_ratio": 0})
    session = await bind()
    await session.submit_sm("33612345678", b"x")
    await api.put("/config", json={"blackhole": True, "latency_ms": 5})
    assert (await api.post("/reset")).json() == {"status": "reset"}
    assert (await api.get("/config")).json() == defaults
    summary = (await api.get("/ledger/summary")).json()
    assert summary["submits"] == 0
    assert summary["binds"] == 1  # binds survive a reset
    assert (await session.submit_sm("33612345678", b"after reset")).is_success


async def test_logs_hold_no_text_and_no_full_number(
    bind: Binder, api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="herald_smsc")
    session = await bind()
    await session.submit_sm("+33612345678", b"my secret code 4242", registered_delivery=1)
    await api.post("/mo", json={"source": "+33687654321", "destination": "36111", "text": "STOP"})
    await api.put("/config", json={"throttle_ratio": 0.5})
    logs = caplog.text
    assert "submit_sm" in logs
    assert "+3361****678" in logs
    for secret in ("33612345678", "33687654321", "secret code", "STOP"):
        assert secret not in logs
