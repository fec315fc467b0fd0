"""The sender against the real SMSC simulator, the real database and its real migrations."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_dispatcher import service
from herald_dispatcher.models import ConsentView, Message
from herald_events.models.campaigns import CampaignState, CampaignUpdatedV1, SmsRequestedV1
from herald_events.models.consent import ConsentChangedV1, ConsentStatus
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.db import transaction
from herald_kit.tables import OUTBOX

WS = "ws-send"
TEXT = "Bonjour, -20% ce week-end ! STOP au 36111"
Sessions = async_sessionmaker[AsyncSession]


def request(phone: str, text: str = TEXT, **fields: Any) -> SmsRequestedV1:
    values: dict[str, Any] = {
        "message_id": uuid.uuid4(),
        "phone": phone,
        "text": text,
        "category": "marketing",
        "sender": "HERALD",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
        **fields,
    }
    return SmsRequestedV1(**values)


async def queue(sessions: Sessions, *requests: SmsRequestedV1, workspace: str = WS) -> None:
    async with transaction(sessions) as session:
        for item in requests:
            await service.request_sms(session, workspace, item, datetime.now(UTC))


async def consent(
    sessions: Sessions,
    phone: str,
    status: str = "opted_in",
    purpose: str = "marketing",
    brand: str = "default",
    workspace: str = WS,
) -> None:
    change = ConsentChangedV1(
        phone=phone,
        purpose=purpose,
        brand=brand,
        status=ConsentStatus(status),
        ledger_entry_id=uuid.uuid4(),
        source="test",
        changed_at=datetime.now(UTC),
    )
    async with transaction(sessions) as session:
        await service.record_consent(session, workspace, change)


async def messages(sessions: Sessions) -> dict[uuid.UUID, Message]:
    async with sessions() as session:
        rows = (await session.scalars(sa.select(Message))).all()
    return {row.message_id: row for row in rows}


async def statuses(sessions: Sessions) -> dict[uuid.UUID, str]:
    return {key: row.status for key, row in (await messages(sessions)).items()}


async def events(sessions: Sessions, topic: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(OUTBOX.c.key, OUTBOX.c.value)
            .where(OUTBOX.c.topic == topic)
            .order_by(OUTBOX.c.id)
        )
        return [{"key": key, **value} for key, value in rows.all()]


async def ledger(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await api.get("/ledger", params={"limit": 10_000})
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["entries"]
    return items


async def projection(sessions: Sessions, workspace: str, phone: str) -> dict[Any, str]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(ConsentView.purpose, ConsentView.brand, ConsentView.status).where(
                ConsentView.workspace_id == workspace, ConsentView.phone == phone
            )
        )
        return {(purpose, brand): status for purpose, brand, status in rows}


def phones(count: int, prefix: str = "+3361") -> list[str]:
    return [f"{prefix}{n:07d}" for n in range(count)]


class TestSubmit:
    async def test_queued_messages_are_submitted_once_with_their_provider_ids(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        numbers = phones(40)
        for phone in numbers:
            await consent(sessions, phone)
        requests = [request(phone, contact_id=uuid.uuid4()) for phone in numbers]
        await queue(sessions, *requests)

        async def all_submitted() -> bool:
            return set((await statuses(sessions)).values()) == {"submitted"}

        async with run_sender(window=8):
            await eventually(all_submitted)
        rows = await messages(sessions)
        entries = await ledger(smsc_api)
        assert len(entries) == 40
        assert sorted("+" + e["destination"] for e in entries) == sorted(numbers)
        by_destination = {"+" + e["destination"]: e for e in entries}
        for item in requests:
            row = rows[item.message_id]
            entry = by_destination[item.phone]
            assert row.provider_message_ids == [entry["message_id"]]
            assert row.route == "smpp-default"
            assert entry["text"] == TEXT
            assert entry["data_coding"] == 0
            assert entry["registered_delivery"] == 1
            assert entry["source"] == "HERALD"
        submitted = await events(sessions, "sms.submitted")
        assert len(submitted) == 40
        first = submitted[0]
        assert first["workspace_id"] == WS
        assert first["payload"]["segments"] == 1
        assert first["payload"]["encoding"] == "GSM7"
        assert first["key"] == first["payload"]["message_id"]
        contact_of = {str(item.message_id): str(item.contact_id) for item in requests}
        assert all(e["payload"]["contact_id"] == contact_of[e["key"]] for e in submitted)

    async def test_a_long_unicode_message_goes_as_concatenated_parts(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        text = "Forêt de Noël 🎄 " * 10  # UCS-2, 170 units: 3 parts of at most 67
        item = request("+33612340001", text=text, category="transactional")
        await queue(sessions, item)

        async def submitted() -> bool:
            return (await statuses(sessions)).get(item.message_id) == "submitted"

        async with run_sender():
            await eventually(submitted)
        entries = await ledger(smsc_api)
        assert [e["part"]["index"] for e in entries] == [1, 2, 3]
        assert {e["part"]["total"] for e in entries} == {3}
        assert len({e["part"]["ref"] for e in entries}) == 1
        assert {e["data_coding"] for e in entries} == {8}
        assert "".join(e["text"] for e in entries) == text
        row = (await messages(sessions))[item.message_id]
        assert row.provider_message_ids == [e["message_id"] for e in entries]
        assert (row.segments, row.encoding) == (3, "UCS2")

    async def test_throttling_is_retried_without_duplicates(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        await smsc_api.put("/config", json={"throttle_ratio": 0.3})
        numbers = phones(30, "+3362")
        for phone in numbers:
            await consent(sessions, phone)
        await queue(sessions, *(request(phone) for phone in numbers))

        async def all_submitted() -> bool:
            return set((await statuses(sessions)).values()) == {"submitted"}

        async with run_sender(window=5):
            await eventually(all_submitted)
        entries = await ledger(smsc_api)
        accepted = [e for e in entries if e["command_status"] == 0]
        throttled = [e for e in entries if e["command_status"] == 0x58]
        assert sorted("+" + e["destination"] for e in accepted) == sorted(numbers)
        assert throttled, "the simulator throttled nothing"
        assert len(entries) == len(accepted) + len(throttled)
        rows = await messages(sessions)
        assert sum(row.attempts for row in rows.values()) == len(entries)


class TestGate:
    async def test_a_message_without_consent_is_suppressed_and_never_sent(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        item = request("+33612340002")
        await queue(sessions, item)

        async def suppressed() -> bool:
            return (await statuses(sessions)).get(item.message_id) == "suppressed"

        async with run_sender():
            await eventually(suppressed)
        assert await ledger(smsc_api) == []
        [event] = await events(sessions, "sms.suppressed")
        assert event["payload"]["reason"] == "no_consent"
        assert event["payload"]["message_id"] == str(item.message_id)
        assert (await messages(sessions))[item.message_id].suppression_reason == "no_consent"

    async def test_an_opted_out_phone_is_never_submitted(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        phone = "+33612340003"
        await consent(sessions, phone)
        stop = OptoutReceivedV1(
            phone=phone, source="keyword", keyword="STOP", received_at=datetime.now(UTC)
        )
        async with transaction(sessions) as session:
            await service.record_optout(session, WS, stop)
        marketing = request(phone)
        transactional = request(phone, category="transactional")
        other = request("+33612340004")
        await consent(sessions, other.phone)
        await queue(sessions, marketing, transactional, other)

        async def settled() -> bool:
            return "queued" not in (await statuses(sessions)).values()

        async with run_sender():
            await eventually(settled)
        assert [e["destination"] for e in await ledger(smsc_api)] == ["33612340004"]
        result = await statuses(sessions)
        assert result[marketing.message_id] == "suppressed"
        assert result[transactional.message_id] == "suppressed"
        reasons = {e["payload"]["reason"] for e in await events(sessions, "sms.suppressed")}
        assert reasons == {"opted_out"}

    async def test_a_paused_campaign_waits_and_a_cancelled_one_is_suppressed(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        paused, cancelled = uuid.uuid4(), uuid.uuid4()
        phone = "+33612340005"
        await consent(sessions, phone)
        async with transaction(sessions) as session:
            for campaign_id, state in ((paused, "paused"), (cancelled, "cancelled")):
                await service.record_campaign(
                    session,
                    WS,
                    CampaignUpdatedV1(
                        campaign_id=campaign_id,
                        state=CampaignState(state),
                        changed_at=datetime.now(UTC),
                    ),
                )
        waiting = request(phone, campaign_id=paused)
        dropped = request(phone, campaign_id=cancelled)
        await queue(sessions, waiting, dropped)

        async def state_of(message_id: uuid.UUID) -> str:
            return (await statuses(sessions))[message_id]

        async with run_sender():

            async def cancelled_done() -> bool:
                return await state_of(dropped.message_id) == "suppressed"

            await eventually(cancelled_done)
            assert await state_of(waiting.message_id) == "queued"
            assert await ledger(smsc_api) == []
            async with transaction(sessions) as session:
                await service.record_campaign(
                    session,
                    WS,
                    CampaignUpdatedV1(
                        campaign_id=paused,
                        state=CampaignState.RUNNING,
                        changed_at=datetime.now(UTC),
                    ),
                )

            async def resumed() -> bool:
                return await state_of(waiting.message_id) == "submitted"

            await eventually(resumed)
        [event] = await events(sessions, "sms.suppressed")
        assert event["payload"]["reason"] == "campaign_cancelled"

    async def test_an_expired_message_is_suppressed(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        item = request(
            "+33612340006",
            category="transactional",
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        await queue(sessions, item)

        async def suppressed() -> bool:
            return (await statuses(sessions)).get(item.message_id) == "suppressed"

        async with run_sender():
            await eventually(suppressed)
        [event] = await events(sessions, "sms.suppressed")
        assert event["payload"]["reason"] == "window_expired"
        assert await ledger(smsc_api) == []


class TestInbound:
    async def test_receipts_become_gateway_inbound_events(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        numbers = phones(5, "+3363")
        await queue(sessions, *(request(p, category="transactional") for p in numbers))

        async def five_receipts() -> bool:
            return len(await events(sessions, "gateway.inbound")) >= 5

        async with run_sender():
            await eventually(five_receipts)
        receipts = await events(sessions, "gateway.inbound")
        assert len(receipts) == 5
        provider_ids = {
            i for row in (await messages(sessions)).values() for i in row.provider_message_ids
        }
        for receipt in receipts:
            payload = receipt["payload"]
            assert payload["kind"] == "delivery_receipt"
            assert payload["receipt_status"] == "DELIVRD"
            assert payload["error_code"] == "000"
            assert payload["route"] == "smpp-default"
            assert payload["text"] is None
            assert payload["provider_message_id"] in provider_ids
            assert payload["source"] in numbers
            assert receipt["key"] == payload["provider_message_id"]
            assert receipt["workspace_id"] == "ws-route"
        summary = (await smsc_api.get("/ledger/summary")).json()
        assert summary["dlr_acked"] == 5

    async def test_a_handset_message_becomes_a_mobile_originated_event(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        async def bound() -> bool:
            return bool((await smsc_api.get("/binds")).json())

        async def one_event() -> bool:
            return len(await events(sessions, "gateway.inbound")) == 1

        async with run_sender():
            await eventually(bound)
            response = await smsc_api.post(
                "/mo", json={"source": "+33612340007", "destination": "36111", "text": "STOP €"}
            )
            assert response.status_code == 202
            await eventually(one_event)
        [event] = await events(sessions, "gateway.inbound")
        payload = event["payload"]
        assert payload["kind"] == "mobile_originated"
        assert (payload["source"], payload["destination"]) == ("+33612340007", "36111")
        assert payload["text"] == "STOP €"
        assert event["workspace_id"] == "ws-route"
        assert event["key"] == "+33612340007"
        # The keyword STOP suppressed the number as it was stored (domain/early_stop.py).
        assert await projection(sessions, "ws-route", "+33612340007") == {
            ("marketing", "*"): "opted_out",
            ("transactional", "*"): "opted_out",
        }

    async def test_a_handset_message_that_is_no_keyword_stop_suppresses_nothing_yet(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        async def bound() -> bool:
            return bool((await smsc_api.get("/binds")).json())

        texts = {
            "+33612340017": "I'll stop by your store tomorrow to pick up my order",
            "+33612340018": "je ne veux plus recevoir vos messages",  # a phrase: receipts' call
        }

        async def stored() -> bool:
            return len(await events(sessions, "gateway.inbound")) == len(texts)

        async with run_sender():
            await eventually(bound)
            for source, text in texts.items():
                response = await smsc_api.post(
                    "/mo", json={"source": source, "destination": "36111", "text": text}
                )
                assert response.status_code == 202
            await eventually(stored)
        for source in texts:
            assert await projection(sessions, "ws-route", source) == {}


class TestInboundLanes:
    async def test_each_number_s_messages_are_stored_in_the_order_they_came(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        """Several lanes store deliver_sm at once; one number's messages share a lane."""
        numbers = [f"+3367000{n:04d}" for n in range(6)]
        sent: list[tuple[str, str]] = []

        async def bound() -> bool:
            return bool((await smsc_api.get("/binds")).json())

        async def stored() -> bool:
            return len(await events(sessions, "gateway.inbound")) == len(sent)

        async with run_sender() as sender:
            assert len(sender._inbound) == 3  # the default
            await eventually(bound)
            for n in range(5):
                for phone in numbers:
                    text = f"message {n}"
                    sent.append((phone, text))
                    body = {"source": phone, "destination": "36111", "text": text}
                    assert (await smsc_api.post("/mo", json=body)).status_code == 202
            await eventually(stored)
        stored_order = [
            (e["payload"]["source"], e["payload"]["text"])
            for e in await events(sessions, "gateway.inbound")
        ]
        for phone in numbers:
            expected = [text for source, text in sent if source == phone]
            assert [text for source, text in stored_order if source == phone] == expected


class TestStopAfterClaim:
    async def test_a_stop_read_after_the_claim_keeps_the_message_back(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        """Four messages claimed at once leave one per second; STOPs from the numbers not yet
        sent to arrive meanwhile: none of them is submitted after its STOP
        (domain/recent_stops.py), the gate then suppresses them as opted out."""
        numbers = phones(4, prefix="+3366")
        for phone in numbers:
            await consent(sessions, phone, workspace="ws-route")
        await queue(sessions, *[request(phone) for phone in numbers], workspace="ws-route")

        async def first_submit_out() -> bool:
            claimed = set((await statuses(sessions)).values()) <= {"submitting", "submitted"}
            return claimed and len(await ledger(smsc_api)) >= 1

        async def final() -> bool:
            return set((await statuses(sessions)).values()) <= {"submitted", "suppressed"}

        async with run_sender(window=4, rate_per_second=1):
            await eventually(first_submit_out, within=20)
            sent = {"+" + entry["destination"] for entry in await ledger(smsc_api)}
            stopped = [phone for phone in numbers if phone not in sent]
            stopped_at = datetime.now(UTC)
            for phone in stopped:
                body = {"source": phone, "destination": "36111", "text": "STOP"}
                assert (await smsc_api.post("/mo", json=body)).status_code == 202
            await eventually(final, within=20)

        assert len(stopped) >= 2  # the test saw the window it is about
        late = [
            entry
            for entry in await ledger(smsc_api)
            if "+" + entry["destination"] in stopped
            and datetime.fromisoformat(entry["received_at"]) > stopped_at
        ]
        assert late == []
        rows = {row.phone: row for row in (await messages(sessions)).values()}
        withheld = [p for p in stopped if rows[p].status == "suppressed"]
        assert withheld, "no message was kept back"
        for phone in withheld:
            assert rows[phone].suppression_reason == "opted_out"
            assert rows[phone].last_error == "the number sent STOP after the claim"
        assert {e["payload"]["phone"] for e in await events(sessions, "sms.suppressed")} == set(
            withheld
        )


class TestInDoubt:
    async def test_an_unanswered_submit_is_in_doubt_and_never_sent_again(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        await smsc_api.put("/config", json={"blackhole": True})
        item = request("+33612340008", category="transactional")
        await queue(sessions, item)

        async def in_doubt() -> bool:
            return (await statuses(sessions)).get(item.message_id) == "in_doubt"

        async with run_sender(response_timeout_s=0.5):
            await eventually(in_doubt)
            await smsc_api.put("/config", json={"blackhole": False})
            later = request("+33612340009", category="transactional")
            await queue(sessions, later)

            async def later_sent() -> bool:
                return (await statuses(sessions)).get(later.message_id) == "submitted"

            await eventually(later_sent)
        destinations = [e["destination"] for e in await ledger(smsc_api)]
        assert destinations == ["33612340008", "33612340009"]  # the first one only once
        assert await events(sessions, "sms.submitted") != []

    async def test_rows_left_submitting_by_a_dead_sender_become_in_doubt(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        item = request("+33612340010", category="transactional")
        await queue(sessions, item)
        async with transaction(sessions) as session:
            await session.execute(
                sa.update(Message)
                .where(Message.message_id == item.message_id)
                .values(status="submitting", claimed_by=uuid.uuid4())
            )

        async def in_doubt() -> bool:
            return (await statuses(sessions)).get(item.message_id) == "in_doubt"

        async with run_sender():
            await eventually(in_doubt, within=5)
        assert await ledger(smsc_api) == []

    async def test_a_lost_connection_rebinds_and_sending_goes_on(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        first = request("+33612340011", category="transactional")
        await queue(sessions, first)

        async def sent(message_id: uuid.UUID) -> bool:
            return (await statuses(sessions)).get(message_id) == "submitted"

        async with run_sender(reconnect_min_s=0.05):
            await eventually(lambda: sent(first.message_id))
            assert (await smsc_api.post("/disconnect")).json()["disconnected"] == 1
            second = request("+33612340012", category="transactional")
            await queue(sessions, second)
            await eventually(lambda: sent(second.message_id))
        summary = (await smsc_api.get("/ledger/summary")).json()
        assert summary["binds_total"] >= 2
