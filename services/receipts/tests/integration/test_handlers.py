"""`sms.submitted` and `gateway.inbound` through the real handlers, in real transactions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind, SmsSubmittedV1
from herald_kit.consumer import HandlerContext, Subscription, apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX
from herald_receipts import repository
from herald_receipts.events.subscriptions import groups
from herald_receipts.models import (
    Delivery,
    ErasedContact,
    InboundMessage,
    ParkedReceipt,
    Submission,
)

T0 = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def subscription(topic: str) -> tuple[str, Subscription]:
    for group, subs in groups().items():
        for sub in subs:
            if sub.topic == topic:
                return group, sub
    raise AssertionError(topic)


def envelope(topic: str, workspace: str, payload: Any) -> Envelope[Any]:
    return Envelope[Any](
        type=topic,
        version=1,
        workspace_id=workspace,
        producer="dispatcher",
        correlation_id=uuid.uuid4(),
        payload=payload,
    )


def submitted(
    workspace: str,
    ids: list[str],
    route: str = "smpp-test",
    message_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> Envelope[Any]:
    return envelope(
        "sms.submitted",
        workspace,
        SmsSubmittedV1(
            message_id=message_id or uuid.uuid4(),
            phone="+33612345678",
            campaign_id=uuid.uuid4(),
            contact_id=contact_id,
            category="marketing",
            route=route,
            provider_message_ids=ids,
            segments=len(ids),
            encoding="GSM7",
            submitted_at=T0,
        ),
    )


def receipt(
    workspace: str,
    provider_id: str | None,
    stat: str,
    error: str = "000",
    route: str = "smpp-test",
    at: datetime = T0 + timedelta(seconds=4),
) -> Envelope[Any]:
    return envelope(
        "gateway.inbound",
        workspace,
        GatewayInboundV1(
            kind=InboundKind.DELIVERY_RECEIPT,
            route=route,
            provider_message_id=provider_id,
            source="+33612345678",
            destination="HERALD",
            receipt_status=stat,
            error_code=error,
            received_at=at,
        ),
    )


def handset(workspace: str, source: str, text: str) -> Envelope[Any]:
    return envelope(
        "gateway.inbound",
        workspace,
        GatewayInboundV1(
            kind=InboundKind.MOBILE_ORIGINATED,
            route="smpp-test",
            source=source,
            destination="36111",
            text=text,
            received_at=T0,
        ),
    )


async def apply_in(session: AsyncSession, event: Envelope[Any]) -> bool:
    group, sub = subscription(event.type)
    return await apply_once(session, Outbox("receipts"), group, sub, event)


async def apply(sessions: async_sessionmaker[AsyncSession], event: Envelope[Any]) -> bool:
    async with transaction(sessions) as session:
        return await apply_in(session, event)


async def delivery(sessions: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> Delivery:
    async with sessions() as session:
        row = await session.get(Delivery, message_id)
        assert row is not None
        return row


async def published(
    sessions: async_sessionmaker[AsyncSession], topic: str, key: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == topic, OUTBOX.c.key == key)
            .order_by(OUTBOX.c.id)
        )
        return list(values)


async def parked(sessions: async_sessionmaker[AsyncSession], route: str) -> int:
    async with sessions() as session:
        count = await session.scalar(sa.select(sa.func.count()).where(ParkedReceipt.route == route))
        return int(count or 0)


def unique_hex() -> str:
    return uuid.uuid4().hex[:10].upper()


class TestSubmissions:
    async def test_a_submission_creates_an_unknown_delivery(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        event = submitted("ws-sub", [unique_hex()])
        assert await apply(sessions, event)
        row = await delivery(sessions, event.payload.message_id)
        assert (row.workspace_id, row.status, row.final, row.parts_total) == (
            "ws-sub",
            "unknown",
            False,
            1,
        )
        assert await published(sessions, "sms.delivered", str(event.payload.message_id)) == []

    async def test_the_same_message_announced_twice_keeps_its_state(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        pid = unique_hex()
        first = submitted("ws-sub", [pid])
        await apply(sessions, first)
        await apply(sessions, receipt("ws-sub", pid, "DELIVRD"))
        again = submitted("ws-sub", [pid], message_id=first.payload.message_id)
        await apply(sessions, again)  # another event id: past the inbox
        row = await delivery(sessions, first.payload.message_id)
        assert (row.status, row.final) == ("delivered", True)


class TestReceipts:
    async def test_a_receipt_delivers_the_message_and_is_announced_once(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        pid = unique_hex()
        sub = submitted("ws-dlr", [pid])
        await apply(sessions, sub)
        dlr = receipt("ws-dlr", pid.lower(), "DELIVRD")
        assert await apply(sessions, dlr)
        assert not await apply(sessions, dlr)  # the inbox drops the redelivery
        await apply(sessions, receipt("ws-dlr", pid, "DELIVRD"))  # a duplicate receipt
        message_id = sub.payload.message_id
        row = await delivery(sessions, message_id)
        assert (row.status, row.final, row.parts_delivered, row.error_code) == (
            "delivered",
            True,
            1,
            None,
        )
        events = await published(sessions, "sms.delivered", str(message_id))
        assert len(events) == 1
        payload = events[0]["payload"]
        assert (payload["status"], payload["final"], payload["parts_total"]) == (
            "delivered",
            True,
            1,
        )
        assert payload["campaign_id"] == str(sub.payload.campaign_id)
        assert events[0]["workspace_id"] == "ws-dlr"
        assert events[0]["causation_id"] == str(dlr.event_id)

    async def test_the_delivery_names_the_submission_s_recipient(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Contacts marks an undeliverable number by the phone (else the contact id)."""
        pid = unique_hex()
        contact_id = uuid.uuid4()
        sub = submitted("ws-recipient", [pid], contact_id=contact_id)
        await apply(sessions, sub)
        await apply(sessions, receipt("ws-recipient", pid, "UNDELIV", "001"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.phone, row.contact_id) == ("+33612345678", contact_id)
        (event,) = await published(sessions, "sms.delivered", str(sub.payload.message_id))
        assert event["payload"]["phone"] == "+33612345678"
        assert event["payload"]["contact_id"] == str(contact_id)
        assert (event["payload"]["status"], event["payload"]["final"]) == ("undelivered", True)

    async def test_hex_at_submit_and_decimal_in_the_receipt_correlate(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        value = int(uuid.uuid4().hex[:12], 16) | (1 << 44)
        sub = submitted("ws-hex", [f"{value:X}"])
        await apply(sessions, sub)
        await apply(sessions, receipt("ws-hex", f"000{value}", "UNDELIV", "001"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final, row.error_code) == ("undelivered", True, "001")

    async def test_a_final_status_is_not_overwritten_by_a_later_receipt(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        pid = unique_hex()
        sub = submitted("ws-final", [pid])
        await apply(sessions, sub)
        await apply(sessions, receipt("ws-final", pid, "ENROUTE"))
        assert (await delivery(sessions, sub.payload.message_id)).parts_reported == 1
        await apply(sessions, receipt("ws-final", pid, "EXPIRED", "027"))
        await apply(sessions, receipt("ws-final", pid, "ACCEPTD"))
        await apply(sessions, receipt("ws-final", pid, "DELIVRD"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final, row.error_code) == ("expired", True, "027")
        events = await published(sessions, "sms.delivered", str(sub.payload.message_id))
        assert [e["payload"]["status"] for e in events] == ["expired"]

    async def test_multipart_is_delivered_when_every_part_is(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        parts = [unique_hex() for _ in range(3)]
        sub = submitted("ws-multi", parts)
        await apply(sessions, sub)
        message_id = str(sub.payload.message_id)
        await apply(sessions, receipt("ws-multi", parts[0], "DELIVRD"))
        await apply(sessions, receipt("ws-multi", parts[2], "DELIVRD"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final, row.parts_delivered) == ("unknown", False, 2)
        assert await published(sessions, "sms.delivered", message_id) == []
        await apply(sessions, receipt("ws-multi", parts[1], "DELIVRD"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final, row.parts_delivered, row.parts_total) == (
            "delivered",
            True,
            3,
            3,
        )
        events = await published(sessions, "sms.delivered", message_id)
        assert [(e["payload"]["status"], e["payload"]["parts_reported"]) for e in events] == [
            ("delivered", 3)
        ]

    async def test_one_failed_part_fails_the_message(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        parts = [unique_hex() for _ in range(2)]
        sub = submitted("ws-multi", parts)
        await apply(sessions, sub)
        await apply(sessions, receipt("ws-multi", parts[1], "REJECTD", "088"))
        await apply(sessions, receipt("ws-multi", parts[0], "DELIVRD"))
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final, row.error_code, row.parts_delivered) == (
            "rejected",
            True,
            "088",
            1,
        )
        events = await published(sessions, "sms.delivered", str(sub.payload.message_id))
        assert [e["payload"]["status"] for e in events] == ["rejected"]

    async def test_a_receipt_before_its_submission_is_parked_then_applied(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        route = f"route-{uuid.uuid4().hex[:6]}"
        value = int(uuid.uuid4().hex[:10], 16) | (1 << 36)
        await apply(sessions, receipt("ws-park", str(value), "DELIVRD", route=route))
        assert await parked(sessions, route) == 1
        sub = submitted("ws-park", [f"{value:x}"], route=route)
        await apply(sessions, sub)
        assert await parked(sessions, route) == 0
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.final) == ("delivered", True)
        events = await published(sessions, "sms.delivered", str(sub.payload.message_id))
        assert len(events) == 1
        assert events[0]["causation_id"] == str(sub.event_id)
        assert events[0]["payload"]["phone"] == "+33612345678"

    async def test_a_receipt_on_another_route_does_not_match(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        pid = unique_hex()
        sub = submitted("ws-route", [pid], route="route-a")
        await apply(sessions, sub)
        await apply(sessions, receipt("ws-route", pid, "DELIVRD", route="route-b"))
        assert (await delivery(sessions, sub.payload.message_id)).status == "unknown"

    async def test_the_submission_decides_the_workspace(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """The dispatcher stamps receipts with its bind's workspace; the message's own
        workspace, from its submission, is the one the delivery belongs to."""
        pid = unique_hex()
        sub = submitted("ws-owner", [pid])
        await apply(sessions, sub)
        await apply(sessions, receipt("bind-workspace", pid, "DELIVRD"))
        events = await published(sessions, "sms.delivered", str(sub.payload.message_id))
        assert [e["workspace_id"] for e in events] == ["ws-owner"]

    async def test_a_receipt_without_an_id_is_dropped(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        route = f"route-{uuid.uuid4().hex[:6]}"
        assert await apply(sessions, receipt("ws-noid", None, "DELIVRD", route=route))
        assert await parked(sessions, route) == 0

    async def test_a_receipt_racing_its_submission_waits_for_it(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Both handlers lock the provider id: the receipt, handled while the submission's
        transaction is still open, sees it once committed instead of parking for ever."""
        route = f"route-{uuid.uuid4().hex[:6]}"
        pid = unique_hex()
        sub = submitted("ws-race", [pid], route=route)
        async with transaction(sessions) as session:
            await apply_in(session, sub)
            racing = asyncio.create_task(
                apply(sessions, receipt("ws-race", pid, "DELIVRD", route=route))
            )
            await asyncio.sleep(0.3)
            assert not racing.done()  # blocked on the provider id's lock
        await asyncio.wait_for(racing, timeout=10)
        assert await parked(sessions, route) == 0
        assert (await delivery(sessions, sub.payload.message_id)).status == "delivered"

    async def test_two_parts_reported_at_once_both_count(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        parts = [unique_hex() for _ in range(2)]
        sub = submitted("ws-race", parts)
        await apply(sessions, sub)
        await asyncio.gather(
            *(apply(sessions, receipt("ws-race", pid, "DELIVRD")) for pid in parts)
        )
        row = await delivery(sessions, sub.payload.message_id)
        assert (row.status, row.parts_delivered) == ("delivered", 2)


class TestHandsetMessages:
    async def test_a_stop_is_stored_and_announced_with_an_optout(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        event = handset("ws-mo", "+33612349901", "Stop!!")
        assert await apply(sessions, event)
        inbound = await published(sessions, "sms.inbound", "+33612349901")
        optouts = await published(sessions, "optout.received", "+33612349901")
        assert len(inbound) == len(optouts) == 1
        assert inbound[0]["payload"]["keyword"] == "opt_out"
        assert inbound[0]["payload"]["text"] == "Stop!!"
        assert inbound[0]["workspace_id"] == "ws-mo"
        optout = optouts[0]["payload"]
        assert (optout["scope"], optout["source"], optout["keyword"]) == (
            "global",
            "keyword",
            "STOP",
        )
        assert optout["inbound_id"] == inbound[0]["payload"]["inbound_id"]
        assert optouts[0]["causation_id"] == str(event.event_id)
        async with sessions() as session:
            row = await session.get(InboundMessage, uuid.UUID(optout["inbound_id"]))
        assert row is not None
        assert (row.workspace_id, row.phone, row.keyword_kind, row.text) == (
            "ws-mo",
            "+33612349901",
            "opt_out",
            "Stop!!",
        )

    @pytest.mark.parametrize(("text", "kind"), [("Bonjour", "none"), ("aide", "help")])
    async def test_other_messages_announce_no_optout(
        self, sessions: async_sessionmaker[AsyncSession], text: str, kind: str
    ) -> None:
        phone = f"+336123499{len(text):02d}"
        await apply(sessions, handset("ws-mo-other", phone, text))
        inbound = [
            e
            for e in await published(sessions, "sms.inbound", phone)
            if e["workspace_id"] == "ws-mo-other"
        ]
        assert inbound[-1]["payload"]["keyword"] == kind
        optouts = [
            e
            for e in await published(sessions, "optout.received", phone)
            if e["workspace_id"] == "ws-mo-other"
        ]
        assert optouts == []

    async def test_a_national_or_plusless_sender_is_stored_in_e164(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await apply(sessions, handset("ws-mo-e164", "33612349911", "STOP"))
        assert len(await published(sessions, "optout.received", "+33612349911")) == 1

    async def test_a_sender_that_is_no_number_is_dropped(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        assert await apply(sessions, handset("ws-mo-bad", "PROMO", "STOP"))
        async with sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).where(InboundMessage.workspace_id == "ws-mo-bad")
            )
        assert count == 0


class TestProviderIdLocks:
    async def test_a_key_locked_by_one_transaction_waits_for_its_end(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """The one statement that locks a receipt's or a submission's provider ids."""
        order: list[str] = []
        first_holds = asyncio.Event()

        async def first() -> None:
            async with transaction(sessions) as session:
                await repository.lock_provider_ids(session, "route-l", ["b-2", "a-1", "a-1"])
                first_holds.set()
                await asyncio.sleep(0.5)
                order.append("first done")

        async def second() -> None:
            await first_holds.wait()
            async with transaction(sessions) as session:
                await repository.lock_provider_ids(session, "route-l", ["a-1"])
                order.append("second locked")

        async def other_route() -> None:
            await first_holds.wait()
            async with transaction(sessions) as session:
                await repository.lock_provider_ids(session, "route-m", ["a-1", "b-2"])
                order.append("other route locked")

        await asyncio.wait_for(asyncio.gather(first(), second(), other_route()), 10)
        assert order == ["other route locked", "first done", "second locked"]


class TestSubmissionsInRuns:
    async def _at_once(
        self, sessions: async_sessionmaker[AsyncSession], events: list[Envelope[Any]]
    ) -> None:
        group, sub = subscription("sms.submitted")
        assert sub.handle_many is not None
        async with transaction(sessions) as session:
            context = HandlerContext(session=session, outbox=Outbox("receipts"), group=group)
            await sub.handle_many(events, context)

    async def test_a_run_at_once_ends_as_one_by_one(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Receipts parked before their submissions (one part of a two-part message among
        them), a message with none, an erased contact: the same rows and announcements."""
        outcomes = {}
        for route, at_once in (("route-one", False), ("route-runs", True)):
            ws = f"ws-{route}"
            erased = uuid.uuid4()
            async with transaction(sessions) as session:
                await session.execute(
                    sa.insert(ErasedContact).values(
                        workspace_id=ws, contact_id=erased, erased_at=T0
                    )
                )
            for provider_id in ("a1b2c3", "0f0001"):
                assert await apply(sessions, receipt(ws, provider_id, "DELIVRD", route=route))
            runs = [
                submitted(ws, ["a1b2c3"], route=route),
                submitted(ws, ["0f0001", "0f0002"], route=route),
                submitted(ws, ["ff01"], route=route, contact_id=erased),
            ]
            if at_once:
                await self._at_once(sessions, runs)
            else:
                for event in runs:
                    assert await apply(sessions, event)
            seen = []
            for event in runs:
                message_id = event.payload.message_id
                row = await delivery(sessions, message_id)
                announced = await published(sessions, "sms.delivered", str(message_id))
                seen.append(
                    (
                        row.status,
                        row.final,
                        row.parts_total,
                        row.parts_delivered,
                        row.phone,
                        row.contact_id is None,
                        [(a["payload"]["status"], a["payload"]["final"]) for a in announced],
                    )
                )
            async with sessions() as session:
                left = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(ParkedReceipt)
                    .where(ParkedReceipt.route == route)
                )
            outcomes[at_once] = (seen, left)
        assert outcomes[True] == outcomes[False]
        seen, left = outcomes[True]
        assert left == 0
        assert seen[0][:2] == ("delivered", True)
        assert seen[2][4] is None  # the erased contact's number is not kept

    async def test_a_provider_id_reused_within_a_run_goes_to_the_later_message(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        first = submitted("ws-reuse", ["dd01"], route="route-reuse")
        later = submitted("ws-reuse", ["dd01"], route="route-reuse")
        await self._at_once(sessions, [first, later])
        async with sessions() as session:
            owner = await session.scalar(
                sa.select(Submission.message_id).where(
                    Submission.route == "route-reuse", Submission.provider_id == "dd01"
                )
            )
        assert owner == later.payload.message_id


class TestReceiptsInRuns:
    async def test_a_run_at_once_ends_as_one_by_one(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Interim then final, the two parts of one message, a duplicate and a late interim
        after a final, one receipt with no submission yet, one with no id: the same rows,
        announcements and parked receipts whichever way the run is applied."""
        outcomes = {}
        for route, at_once in (("route-r1", False), ("route-rn", True)):
            ws = f"ws-{route}"
            subs = [
                submitted(ws, ["b10001"], route=route),
                submitted(ws, ["c20001", "c20002"], route=route),
                submitted(ws, ["d30001"], route=route),
            ]
            for event in subs:
                assert await apply(sessions, event)

            def at(seconds: int) -> datetime:
                return T0 + timedelta(seconds=seconds)

            run = [
                receipt(ws, "b10001", "ENROUTE", route=route, at=at(1)),
                receipt(ws, "c20001", "DELIVRD", route=route, at=at(2)),
                receipt(ws, "d30001", "DELIVRD", route=route, at=at(3)),
                receipt(ws, "b10001", "DELIVRD", route=route, at=at(4)),
                receipt(ws, "e40001", "DELIVRD", route=route, at=at(5)),  # no submission yet
                receipt(ws, "c20002", "UNDELIV", "001", route=route, at=at(6)),
                receipt(ws, "d30001", "DELIVRD", route=route, at=at(7)),  # a duplicate
                receipt(ws, "d30001", "ACCEPTD", route=route, at=at(8)),  # late, after final
                receipt(ws, None, "DELIVRD", route=route, at=at(9)),
            ]
            if at_once:
                group, sub = subscription("gateway.inbound")
                assert sub.handle_many is not None
                async with transaction(sessions) as session:
                    context = HandlerContext(
                        session=session, outbox=Outbox("receipts"), group=group
                    )
                    await sub.handle_many(run, context)
            else:
                for event in run:
                    assert await apply(sessions, event)
            seen = []
            for event in subs:
                message_id = event.payload.message_id
                row = await delivery(sessions, message_id)
                announced = await published(sessions, "sms.delivered", str(message_id))
                seen.append(
                    (
                        row.status,
                        row.final,
                        row.parts_delivered,
                        row.parts_reported,
                        row.error_code,
                        [(a["payload"]["status"], a["payload"]["final"]) for a in announced],
                    )
                )
            async with sessions() as session:
                left = (
                    await session.scalars(
                        sa.select(ParkedReceipt.provider_id_normalised).where(
                            ParkedReceipt.route == route
                        )
                    )
                ).all()
            outcomes[at_once] = (seen, list(left))
        assert outcomes[True] == outcomes[False]
        seen, left = outcomes[True]
        assert seen[0][:2] == ("delivered", True)
        assert seen[1][:2] == ("undelivered", True)
        assert seen[2][:2] == ("delivered", True)  # the late interim did not undo the final
        assert len(left) == 1
