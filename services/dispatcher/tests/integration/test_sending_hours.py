"""Sending hours and frequency caps in the sender, on the real database, the real SMSC
simulator and an injected clock: held messages are rows, released by the sweeper."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from herald_dispatcher import service
from herald_dispatcher.rules_config import SendingRulesConfig
from herald_dispatcher.schemas import SendingRulesWrite
from herald_dispatcher.sending_rules import WorkspaceRules
from herald_dispatcher.settings import ComplianceSettings
from herald_events.models.campaigns import CampaignState, CampaignUpdatedV1
from herald_events.models.receipts import OptoutReceivedV1, OptoutScope
from herald_kit.db import transaction

from .test_sender import WS, Sessions, consent, events, messages, queue, request

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday that is no public holiday, in the future (messages are queued at the real now).
TUESDAY_21H = datetime(2030, 3, 5, 21, 0, tzinfo=PARIS).astimezone(UTC)
WEDNESDAY_8H = datetime(2030, 3, 6, 8, 0, tzinfo=PARIS).astimezone(UTC)
TUESDAY_10H = datetime(2030, 3, 5, 10, 0, tzinfo=PARIS).astimezone(UTC)
PHONE = "+33612340077"
LATER = TUESDAY_21H + timedelta(days=3)  # messages expire after the injected clock


class Clock:
    """The sender's `now`, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def deployment_rules() -> WorkspaceRules:
    return WorkspaceRules.from_settings(ComplianceSettings())  # FR-strict, US-TCPA, default


async def ledger_of(api: httpx.AsyncClient, phone: str) -> list[dict[str, Any]]:
    response = await api.get("/ledger", params={"destination": phone})
    items: list[dict[str, Any]] = response.json()["entries"]
    return items


def status_is(sessions: Sessions, message_id: uuid.UUID, status: str) -> Any:
    async def check() -> bool:
        row = (await messages(sessions)).get(message_id)
        return row is not None and row.status == status

    return check


class TestHours:
    async def test_marketing_at_21h_is_held_until_8h_then_released_by_the_sweeper(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        await consent(sessions, PHONE)
        item = request(PHONE, expires_at=TUESDAY_21H + timedelta(days=1))
        await queue(sessions, item)
        clock = Clock(TUESDAY_21H)
        async with run_sender(clock=clock, rules=deployment_rules()):
            await eventually(status_is(sessions, item.message_id, "held"))
            row = (await messages(sessions))[item.message_id]
            assert row.held_until == WEDNESDAY_8H
            assert row.rule == "FR-strict v1"
            assert "outside the sending window" in (row.hold_reason or "")
            clock.now = WEDNESDAY_8H - timedelta(seconds=1)
            await asyncio.sleep(1.5)  # three sweeps: nothing is due yet
            assert await _still_held(sessions, item.message_id)
            assert await ledger_of(smsc_api, PHONE) == []
            clock.now = WEDNESDAY_8H
            await eventually(status_is(sessions, item.message_id, "submitted"))
        assert len(await ledger_of(smsc_api, PHONE)) == 1
        submitted = await events(sessions, "sms.submitted")
        assert submitted[0]["payload"]["submitted_at"].startswith("2030-03-06T07:00")

    async def test_a_transactional_message_goes_at_once(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        item = request(PHONE, category="transactional", text="Votre code : 4242", expires_at=LATER)
        await queue(sessions, item)
        async with run_sender(clock=Clock(TUESDAY_21H), rules=deployment_rules()):
            await eventually(status_is(sessions, item.message_id, "submitted"))
        assert (await messages(sessions))[item.message_id].held_until is None

    async def test_a_hold_past_the_expiry_is_suppressed_with_its_reason(
        self, sessions: Sessions, run_sender: Any, eventually: Any
    ) -> None:
        await consent(sessions, PHONE)
        item = request(PHONE, expires_at=TUESDAY_21H + timedelta(hours=3))
        await queue(sessions, item)
        async with run_sender(clock=Clock(TUESDAY_21H), rules=deployment_rules()):
            await eventually(status_is(sessions, item.message_id, "suppressed"))
        assert (await messages(sessions))[item.message_id].suppression_reason == (
            "outside_sending_hours"
        )
        (event,) = await events(sessions, "sms.suppressed")
        assert event["payload"]["reason"] == "outside_sending_hours"
        assert event["payload"]["rule_pack_version"] == "FR-strict v1"
        assert "after the message expires" in event["payload"]["detail"]

    async def test_held_messages_survive_a_restart_and_expire_if_released_too_late(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        await consent(sessions, PHONE)
        await consent(sessions, "+33612340078")
        kept = request(PHONE, expires_at=TUESDAY_21H + timedelta(days=1))
        late = request("+33612340078", expires_at=WEDNESDAY_8H + timedelta(minutes=30))
        await queue(sessions, kept, late)
        async with run_sender(clock=Clock(TUESDAY_21H), rules=deployment_rules()):
            await eventually(status_is(sessions, kept.message_id, "held"))
            await eventually(status_is(sessions, late.message_id, "held"))
        # Another sender (a restart) finds both; the late one's hold ended after its expiry.
        async with run_sender(
            clock=Clock(WEDNESDAY_8H + timedelta(hours=1)), rules=deployment_rules()
        ):
            await eventually(status_is(sessions, kept.message_id, "submitted"))
            await eventually(status_is(sessions, late.message_id, "suppressed"))
        rows = await messages(sessions)
        assert rows[late.message_id].suppression_reason == "window_expired"
        assert [e["payload"]["reason"] for e in await events(sessions, "sms.suppressed")] == [
            "window_expired"
        ]
        assert len(await ledger_of(smsc_api, PHONE)) == 1

    async def test_a_cancelled_campaign_s_held_messages_are_suppressed_at_once(
        self, sessions: Sessions, run_sender: Any, eventually: Any
    ) -> None:
        await consent(sessions, PHONE)
        campaign_id = uuid.uuid4()
        item = request(PHONE, campaign_id=campaign_id, expires_at=TUESDAY_21H + timedelta(days=1))
        await queue(sessions, item)
        async with run_sender(clock=Clock(TUESDAY_21H), rules=deployment_rules()):
            await eventually(status_is(sessions, item.message_id, "held"))
            async with transaction(sessions) as session:
                await service.record_campaign(
                    session,
                    WS,
                    CampaignUpdatedV1(
                        campaign_id=campaign_id,
                        state=CampaignState.CANCELLED,
                        changed_at=datetime.now(UTC),
                    ),
                )
            await eventually(status_is(sessions, item.message_id, "suppressed"))
        assert (await messages(sessions))[item.message_id].suppression_reason == (
            "campaign_cancelled"
        )


async def _still_held(sessions: Sessions, message_id: uuid.UUID) -> bool:
    return bool((await messages(sessions))[message_id].status == "held")


class TestCaps:
    async def save_rules(self, sessions: Sessions, caps: list[dict[str, Any]]) -> None:
        rules = SendingRulesWrite.model_validate({"packs": [{"name": "FR-strict"}], "caps": caps})
        async with transaction(sessions) as session:
            await service.put_sending_rules(session, WS, rules)

    async def test_a_capped_message_is_postponed_or_skipped_by_its_policy(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        await self.save_rules(sessions, [{"category": "marketing", "limit": 1, "window": "P1D"}])
        await consent(sessions, PHONE)
        first = request(PHONE, campaign_id=uuid.uuid4(), expires_at=TUESDAY_10H + timedelta(days=2))
        await queue(sessions, first)
        clock = Clock(TUESDAY_10H)
        async with run_sender(clock=clock, rules=deployment_rules()):
            await eventually(status_is(sessions, first.message_id, "submitted"))
            clock.now = TUESDAY_10H + timedelta(hours=1)
            postponed = request(PHONE, expires_at=TUESDAY_10H + timedelta(days=2))
            skipped = request(PHONE, cap_policy="skip", expires_at=TUESDAY_10H + timedelta(days=2))
            urgent = request(
                PHONE, category="transactional", text="Votre code : 1234", expires_at=LATER
            )
            await queue(sessions, postponed, skipped, urgent)
            await eventually(status_is(sessions, postponed.message_id, "held"))
            await eventually(status_is(sessions, skipped.message_id, "suppressed"))
            await eventually(status_is(sessions, urgent.message_id, "submitted"))
            rows = await messages(sessions)
            assert rows[postponed.message_id].held_until == TUESDAY_10H + timedelta(days=1)
            assert rows[postponed.message_id].rule == "frequency caps v1"
            assert rows[skipped.message_id].suppression_reason == "frequency_cap"
            clock.now = TUESDAY_10H + timedelta(days=1)
            await eventually(status_is(sessions, postponed.message_id, "submitted"))
        assert len(await ledger_of(smsc_api, PHONE)) == 3

    async def test_messages_of_one_batch_count_for_each_other(
        self, sessions: Sessions, run_sender: Any, eventually: Any
    ) -> None:
        await self.save_rules(sessions, [{"category": "marketing", "limit": 2, "window": "PT24H"}])
        await consent(sessions, PHONE)
        items = [request(PHONE, expires_at=TUESDAY_10H + timedelta(days=2)) for _ in range(3)]
        await queue(sessions, *items)
        async with run_sender(clock=Clock(TUESDAY_10H), rules=deployment_rules()):

            async def settled() -> bool:
                found = sorted(r.status for r in (await messages(sessions)).values())
                return found == ["held", "submitted", "submitted"]

            await eventually(settled)


class TestOptoutConfirmation:
    async def test_the_stop_confirmation_passes_the_opted_out_rule_and_nothing_else(
        self, sessions: Sessions, run_sender: Any, smsc_api: httpx.AsyncClient, eventually: Any
    ) -> None:
        optout = OptoutReceivedV1(
            phone=PHONE,
            keyword="STOP",
            source="keyword",
            scope=OptoutScope.GLOBAL,
            received_at=datetime.now(UTC),
        )
        async with transaction(sessions) as session:
            await service.record_optout(session, WS, optout)
        confirmation = request(
            PHONE,
            category="transactional",
            text="Herald : votre désinscription est enregistrée.",
            sender="36111",
            priority="high",
            reply_kind="optout_confirmation",
            expires_at=LATER,
        )
        other = request(PHONE, category="transactional", text="Votre code : 4242", expires_at=LATER)
        disguised = request(PHONE, reply_kind="optout_confirmation", expires_at=LATER)
        await queue(sessions, confirmation, other, disguised)
        async with run_sender(clock=Clock(TUESDAY_21H), rules=deployment_rules()):
            await eventually(status_is(sessions, confirmation.message_id, "submitted"))
            await eventually(status_is(sessions, other.message_id, "suppressed"))
            await eventually(status_is(sessions, disguised.message_id, "suppressed"))
        rows = await messages(sessions)
        assert rows[other.message_id].suppression_reason == "opted_out"
        assert rows[disguised.message_id].suppression_reason == "opted_out"
        (entry,) = await ledger_of(smsc_api, PHONE)
        assert entry["source"] == "36111"


class TestRulesFromTheWorkspace:
    async def test_saved_rules_replace_the_deployment_s(self, sessions: Sessions) -> None:
        rules = deployment_rules()
        async with sessions() as session:
            before = await rules.for_workspaces(session, [WS])
        assert before[WS] is rules.default
        config = SendingRulesConfig.model_validate({"packs": [{"name": "FR-af2m-2024"}]})
        async with transaction(sessions) as session:
            await service.put_sending_rules(session, WS, SendingRulesWrite(**config.model_dump()))
        async with sessions() as session:
            after = await rules.for_workspaces(session, [WS])
        assert [p.name for p in after[WS].packs] == ["FR-af2m-2024"]
