"""Handsets' messages through the opt-out engine, on the real database: opt-outs, the one
confirmation, help replies, phrases, the review queue and its API, scope, erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind
from herald_kit.consumer import Subscription, apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX
from herald_receipts import erasure, service
from herald_receipts.events.subscriptions import groups
from herald_receipts.models import AutoReply, OptoutReview
from herald_receipts.settings import OptoutSettings
from herald_testing.api import KeyFactory, bearer

T0 = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def gateway_group() -> tuple[str, Subscription]:
    for group, subs in groups().items():
        for sub in subs:
            if sub.topic == "gateway.inbound":
                return group, sub
    raise AssertionError("gateway.inbound")


def mo(
    workspace: str, phone: str, text: str, at: datetime = T0, destination: str = "36111"
) -> Envelope[Any]:
    return Envelope[Any](
        type="gateway.inbound",
        version=1,
        workspace_id=workspace,
        producer="dispatcher",
        correlation_id=uuid.uuid4(),
        payload=GatewayInboundV1(
            kind=InboundKind.MOBILE_ORIGINATED,
            route="smpp-test",
            source=phone,
            destination=destination,
            text=text,
            received_at=at,
        ),
    )


async def handle(sessions: async_sessionmaker[AsyncSession], event: Envelope[Any]) -> None:
    """Through the real handler (the deployment's default settings)."""
    group, sub = gateway_group()
    async with transaction(sessions) as session:
        await apply_once(session, Outbox("receipts"), group, sub, event)


async def handle_with(
    sessions: async_sessionmaker[AsyncSession], event: Envelope[Any], optout: OptoutSettings
) -> None:
    """Through the use case with other settings (what HERALD_RECEIPTS_OPTOUT__* would give)."""
    async with transaction(sessions) as session:
        await service.record_mobile_originated(
            session,
            Outbox("receipts"),
            event.workspace_id,
            event.payload,
            event.event_id,
            {},
            "FR",
            optout,
        )


async def published(
    sessions: async_sessionmaker[AsyncSession], topic: str, phone: str, workspace: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == topic, OUTBOX.c.key == phone)
            .order_by(OUTBOX.c.id)
        )
        return [v for v in values if v["workspace_id"] == workspace]


def new_phone() -> str:
    return f"+33612{uuid.uuid4().int % 10**6:06d}"  # a valid French mobile range


class TestOptoutConfirmation:
    async def test_a_stop_gets_one_transactional_confirmation_from_the_short_code(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        event = mo("ws-oc", phone, "Stop merci")
        await handle(sessions, event)
        (optout,) = await published(sessions, "optout.received", phone, "ws-oc")
        (reply,) = await published(sessions, "sms.requested", phone, "ws-oc")
        (inbound,) = await published(sessions, "sms.inbound", phone, "ws-oc")
        assert optout["payload"]["keyword"] == "STOP"
        payload = reply["payload"]
        assert (payload["category"], payload["sender"], payload["priority"]) == (
            "transactional",
            "36111",
            "high",
        )
        assert payload["reply_kind"] == "optout_confirmation"
        assert payload["in_reply_to"] == inbound["payload"]["inbound_id"]
        assert payload["text"] == (
            "Herald : votre désinscription est enregistrée. "
            "Vous ne recevrez plus de SMS de notre part."
        )
        assert payload["campaign_id"] is None
        assert reply["producer"] == "receipts"
        assert reply["causation_id"] == str(event.event_id)
        assert (inbound["payload"]["matched"], inbound["payload"]["language"]) == ("STOP", "fr")

    async def test_a_repeated_stop_within_the_window_gets_no_second_confirmation(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-oc2", phone, "STOP"))
        await handle(sessions, mo("ws-oc2", phone, "stop!!", at=T0 + timedelta(minutes=5)))
        await handle(sessions, mo("ws-oc2", phone, "ARRÊT", at=T0 + timedelta(hours=23)))
        assert len(await published(sessions, "optout.received", phone, "ws-oc2")) == 3
        assert len(await published(sessions, "sms.requested", phone, "ws-oc2")) == 1
        # after the window, a new STOP (e.g. after a re-subscription) is confirmed again
        await handle(sessions, mo("ws-oc2", phone, "STOP", at=T0 + timedelta(hours=25)))
        assert len(await published(sessions, "sms.requested", phone, "ws-oc2")) == 2

    async def test_a_late_older_stop_gets_no_confirmation(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-oc3", phone, "STOP", at=T0 + timedelta(hours=1)))
        await handle(sessions, mo("ws-oc3", phone, "STOP", at=T0))
        assert len(await published(sessions, "sms.requested", phone, "ws-oc3")) == 1

    async def test_an_english_number_is_answered_in_english(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = "+1415555" + f"{uuid.uuid4().int % 10**4:04d}"
        await handle(sessions, mo("ws-oc-en", phone, "STOP"))
        (reply,) = await published(sessions, "sms.requested", phone, "ws-oc-en")
        assert reply["payload"]["text"].startswith("Herald: you are unsubscribed")

    async def test_confirmations_can_be_switched_off(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle_with(sessions, mo("ws-oc-off", phone, "STOP"), OptoutSettings(confirm=False))
        assert len(await published(sessions, "optout.received", phone, "ws-oc-off")) == 1
        assert await published(sessions, "sms.requested", phone, "ws-oc-off") == []


class TestHelp:
    async def test_help_gets_one_reply_and_no_optout(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-help", phone, "Aide svp"))
        await handle(sessions, mo("ws-help", phone, "AIDE", at=T0 + timedelta(minutes=1)))
        assert await published(sessions, "optout.received", phone, "ws-help") == []
        (reply,) = await published(sessions, "sms.requested", phone, "ws-help")
        assert reply["payload"]["reply_kind"] == "help"
        assert "répondez STOP" in reply["payload"]["text"]

    async def test_brand_names_and_templates_come_from_the_settings(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        settings = OptoutSettings(
            brands={"36222": "voyages"},
            brand_names={"voyages": "Voyages Plus"},
            help={"fr": "{brand} : aide au 01 23 45 67 89. STOP pour arrêter."},
        )
        await handle_with(sessions, mo("ws-help2", phone, "aide", destination="36222"), settings)
        (reply,) = await published(sessions, "sms.requested", phone, "ws-help2")
        assert (
            reply["payload"]["text"] == "Voyages Plus : aide au 01 23 45 67 89. STOP pour arrêter."
        )
        assert reply["payload"]["sender"] == "36222"


class TestPhrasesAndReview:
    async def test_a_phrase_is_an_optout_under_the_default_policy(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-phrase", phone, "Je ne veux plus recevoir vos SMS"))
        (optout,) = await published(sessions, "optout.received", phone, "ws-phrase")
        assert (optout["payload"]["source"], optout["payload"]["keyword"]) == (
            "phrase",
            "NE VEUX PLUS RECEVOIR",
        )
        (inbound,) = await published(sessions, "sms.inbound", phone, "ws-phrase")
        assert (inbound["payload"]["keyword"], inbound["payload"]["review"]) == ("opt_out", False)

    async def test_the_review_policy_queues_a_phrase_without_optout_or_reply(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        event = mo("ws-review", phone, "wrong number")
        await handle_with(sessions, event, OptoutSettings(phrase_policy="review"))
        assert await published(sessions, "optout.received", phone, "ws-review") == []
        assert await published(sessions, "sms.requested", phone, "ws-review") == []
        (inbound,) = await published(sessions, "sms.inbound", phone, "ws-review")
        assert (inbound["payload"]["keyword"], inbound["payload"]["review"]) == ("none", True)
        async with sessions() as session:
            review = await session.get(OptoutReview, uuid.UUID(inbound["payload"]["inbound_id"]))
        assert review is not None
        assert (review.status, review.rule, review.matched, review.scope) == (
            "open",
            "phrase",
            "WRONG NUMBER",
            "global",
        )

    async def test_stop_inside_a_sentence_is_reviewed_not_an_optout(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-review2", phone, "I'll stop by your store tomorrow"))
        assert await published(sessions, "optout.received", phone, "ws-review2") == []
        async with sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).where(
                    OptoutReview.workspace_id == "ws-review2", OptoutReview.phone == phone
                )
            )
        assert count == 1


class TestScope:
    async def test_brand_scope_names_the_short_code_s_brand(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        settings = OptoutSettings(scope="brand", brands={"36111": "boutique"})
        await handle_with(sessions, mo("ws-scope", phone, "STOP"), settings)
        await handle_with(
            sessions, mo("ws-scope", phone, "STOPALL", at=T0 + timedelta(seconds=1)), settings
        )
        first, second = await published(sessions, "optout.received", phone, "ws-scope")
        assert (first["payload"]["scope"], first["payload"]["brand"]) == ("brand", "boutique")
        assert (second["payload"]["scope"], second["payload"]["brand"]) == ("global", "default")


class TestReviewApi:
    async def test_list_then_resolve_as_optout(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        key_for: KeyFactory,
    ) -> None:
        workspace = f"ws-rev-{uuid.uuid4().hex[:6]}"
        phone = new_phone()
        await handle(sessions, mo(workspace, phone, "Stop by our store for the sale"))
        await handle(sessions, mo(workspace, new_phone(), "stop by tomorrow at the shop"))
        key = await key_for(workspace, ("receipts:read", "receipts:write"))
        page = (await client.get("/v1/optout-reviews", headers=bearer(key))).json()
        assert len(page["items"]) == 2
        item = next(i for i in page["items"] if i["phone"] == phone)
        assert (item["status"], item["rule"], item["matched"], item["text"]) == (
            "open",
            "keyword_in_sentence",
            "STOP",
            "Stop by our store for the sale",
        )
        first = (
            await client.get("/v1/optout-reviews", headers=bearer(key), params={"limit": 1})
        ).json()
        assert first["next_cursor"]
        rest = (
            await client.get(
                "/v1/optout-reviews",
                headers=bearer(key),
                params={"limit": 1, "cursor": first["next_cursor"]},
            )
        ).json()
        assert {i["id"] for i in first["items"] + rest["items"]} == {i["id"] for i in page["items"]}

        url = f"/v1/optout-reviews/{item['id']}/resolve"
        response = await client.post(url, headers=bearer(key), json={"decision": "opt_out"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "opted_out"
        assert response.json()["resolved_by"].startswith("api key ")
        again = await client.post(url, headers=bearer(key), json={"decision": "opt_out"})
        assert again.status_code == 200
        (optout,) = await published(sessions, "optout.received", phone, workspace)
        assert (optout["payload"]["source"], optout["payload"]["inbound_id"]) == (
            "review",
            item["id"],
        )
        sent_at = datetime.fromisoformat(optout["payload"]["received_at"])
        assert sent_at == datetime.fromisoformat(item["received_at"]) == T0  # when it was sent
        (reply,) = await published(sessions, "sms.requested", phone, workspace)
        assert reply["payload"]["reply_kind"] == "optout_confirmation"

        conflict = await client.post(url, headers=bearer(key), json={"decision": "dismiss"})
        assert conflict.status_code == 409
        open_now = (await client.get("/v1/optout-reviews", headers=bearer(key))).json()
        assert [i["phone"] for i in open_now["items"]] != [phone]
        assert len(open_now["items"]) == 1
        done = (
            await client.get(
                "/v1/optout-reviews", headers=bearer(key), params={"status": "opted_out"}
            )
        ).json()
        assert [i["id"] for i in done["items"]] == [item["id"]]

    async def test_dismiss_announces_nothing(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        key_for: KeyFactory,
    ) -> None:
        workspace = f"ws-rev-{uuid.uuid4().hex[:6]}"
        phone = new_phone()
        await handle(sessions, mo(workspace, phone, "I will stop by the shop later today"))
        key = await key_for(workspace, ("receipts:read", "receipts:write"))
        (item,) = (await client.get("/v1/optout-reviews", headers=bearer(key))).json()["items"]
        response = await client.post(
            f"/v1/optout-reviews/{item['id']}/resolve",
            headers=bearer(key),
            json={"decision": "dismiss"},
        )
        assert response.json()["status"] == "dismissed"
        assert await published(sessions, "optout.received", phone, workspace) == []
        assert await published(sessions, "sms.requested", phone, workspace) == []

    async def test_bad_requests(self, client: httpx.AsyncClient, key_for: KeyFactory) -> None:
        reader = await key_for("ws-rev-bad", ("receipts:read",))
        writer = await key_for("ws-rev-bad", ("receipts:write",))
        url = f"/v1/optout-reviews/{uuid.uuid4()}/resolve"
        assert (
            await client.post(url, headers=bearer(writer), json={"decision": "opt_out"})
        ).status_code == 404
        assert (
            await client.post(url, headers=bearer(reader), json={"decision": "opt_out"})
        ).status_code == 403
        bad = await client.post(url, headers=bearer(writer), json={"decision": "maybe"})
        assert bad.status_code == 422
        assert "decision" in bad.text
        status = await client.get(
            "/v1/optout-reviews", headers=bearer(reader), params={"status": "closed"}
        )
        assert status.status_code == 422
        cursor = await client.get(
            "/v1/optout-reviews", headers=bearer(reader), params={"cursor": "nope"}
        )
        assert cursor.status_code == 422


class TestErasure:
    async def test_erasure_forgets_reviews_and_replies(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = new_phone()
        await handle(sessions, mo("ws-rev-erase", phone, "STOP"))
        await handle(sessions, mo("ws-rev-erase", phone, "stop by the store at noon please"))
        async with transaction(sessions) as session:
            await erasure.forget_number(
                session, "ws-rev-erase", phone, uuid.uuid4(), T0 + timedelta(days=1), "FR"
            )
        async with sessions() as session:
            reviews = await session.scalar(
                sa.select(sa.func.count()).where(OptoutReview.phone == phone)
            )
            replies = await session.scalar(
                sa.select(sa.func.count()).where(AutoReply.phone == phone)
            )
        assert (reviews, replies) == (0, 0)
