"""The dispatcher's sending-rule wiring on a fixed clock: send, held until T, suppressed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from herald_compliance.frequency_caps import PreviousSend
from herald_compliance.gate import ConsentView
from herald_dispatcher.rules_config import SendingRulesConfig
from herald_dispatcher.service import consent_for_gate, sending_verdict
from herald_dispatcher.settings import ComplianceSettings, DispatcherSettings

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_21H = datetime(2030, 3, 5, 21, 0, tzinfo=PARIS)
WEDNESDAY_8H = datetime(2030, 3, 6, 8, 0, tzinfo=PARIS)
TUESDAY_10H = datetime(2030, 3, 5, 10, 0, tzinfo=PARIS)
DEPLOYMENT = ComplianceSettings().build()
CAPPED = SendingRulesConfig.model_validate(
    {
        "packs": [{"name": "FR-strict"}],
        "caps": [{"category": "marketing", "limit": 1, "window": "PT24H"}],
    }
).build()


def message(now: datetime, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "phone": "+33612345678",
        "category": "marketing",
        "priority": 1,
        "campaign_id": uuid.uuid4(),
        "cap_policy": "postpone",
        "expires_at": now + timedelta(days=2),
        "reply_kind": None,
        **fields,
    }
    return SimpleNamespace(**values)


class TestHours:
    def test_marketing_at_21h_in_paris_is_held_until_8h_the_next_working_day(self) -> None:
        verdict = sending_verdict(message(TUESDAY_21H), DEPLOYMENT, DEPLOYMENT, [], TUESDAY_21H)
        assert verdict.outcome == "hold"
        assert verdict.held_until == WEDNESDAY_8H.astimezone(UTC)
        assert verdict.reason == "outside_sending_hours"
        assert verdict.rule == "FR-strict v1"

    def test_saturday_evening_is_held_until_monday(self) -> None:
        saturday = datetime(2030, 3, 9, 20, 30, tzinfo=PARIS)
        verdict = sending_verdict(message(saturday), DEPLOYMENT, DEPLOYMENT, [], saturday)
        assert verdict.held_until == datetime(2030, 3, 11, 8, tzinfo=PARIS)

    def test_inside_the_window_it_goes(self) -> None:
        verdict = sending_verdict(message(TUESDAY_10H), DEPLOYMENT, DEPLOYMENT, [], TUESDAY_10H)
        assert (verdict.outcome, verdict.rule) == ("send", "FR-strict v1")

    def test_transactional_messages_are_exempt_from_hours(self) -> None:
        item = message(TUESDAY_21H, category="transactional")
        assert sending_verdict(item, DEPLOYMENT, DEPLOYMENT, [], TUESDAY_21H).outcome == "send"

    def test_a_hold_past_the_expiry_suppresses_with_the_reason(self) -> None:
        item = message(TUESDAY_21H, expires_at=TUESDAY_21H + timedelta(hours=2))
        verdict = sending_verdict(item, DEPLOYMENT, DEPLOYMENT, [], TUESDAY_21H)
        assert (verdict.outcome, verdict.reason) == ("suppress", "outside_sending_hours")
        assert "after the message expires" in (verdict.detail or "")

    def test_us_numbers_follow_the_tcpa_pack_and_others_the_default(self) -> None:
        # 21:00 Paris is 15:00 in New York: inside 09:00-20:00 (NY, strictest unknown-state
        # rules do not apply: 212 is New York's).
        us = message(TUESDAY_21H, phone="+12125550123")
        assert sending_verdict(us, DEPLOYMENT, DEPLOYMENT, [], TUESDAY_21H).rule == "US-TCPA v1"
        de = message(TUESDAY_21H, phone="+4915112345678")
        verdict = sending_verdict(de, DEPLOYMENT, DEPLOYMENT, [], TUESDAY_21H)
        assert (verdict.outcome, verdict.rule) == ("hold", "default v1")

    def test_a_country_the_workspace_packs_miss_falls_to_the_deployment_packs(self) -> None:
        only_france = SendingRulesConfig.model_validate({"packs": [{"name": "FR-af2m-2024"}]})
        item = message(TUESDAY_21H, phone="+4915112345678")
        verdict = sending_verdict(item, only_france.build(), DEPLOYMENT, [], TUESDAY_21H)
        assert verdict.rule == "default v1"
        # ...while French numbers get the workspace's pack: 21:00 is inside 08:00-22:00.
        french = sending_verdict(
            message(TUESDAY_21H), only_france.build(), DEPLOYMENT, [], TUESDAY_21H
        )
        assert (french.outcome, french.rule) == ("send", "FR-af2m-2024 v1")

    def test_an_unreadable_number_is_suppressed_as_invalid(self) -> None:
        item = message(TUESDAY_10H, phone="+999")
        verdict = sending_verdict(item, DEPLOYMENT, DEPLOYMENT, [], TUESDAY_10H)
        assert (verdict.outcome, verdict.reason) == ("suppress", "invalid_number")


class TestCaps:
    def earlier(self, hours: float, campaign: uuid.UUID | None = None) -> list[PreviousSend]:
        at = (TUESDAY_10H - timedelta(hours=hours)).astimezone(UTC)
        return [PreviousSend(at, "marketing", str(campaign) if campaign else None)]

    def test_postpone_holds_until_the_cap_allows(self) -> None:
        verdict = sending_verdict(
            message(TUESDAY_10H), CAPPED, DEPLOYMENT, self.earlier(1), TUESDAY_10H
        )
        assert (verdict.outcome, verdict.reason) == ("hold", "frequency_cap")
        assert verdict.held_until == datetime(2030, 3, 6, 9, tzinfo=PARIS)

    def test_a_cap_that_opens_after_hours_waits_for_the_next_window(self) -> None:
        # Sent at 21:30 the day before... the cap opens at 21:30 today: FR-strict is closed.
        history = self.earlier(-11.5 + 24)
        verdict = sending_verdict(message(TUESDAY_10H), CAPPED, DEPLOYMENT, history, TUESDAY_10H)
        assert verdict.held_until == WEDNESDAY_8H.astimezone(UTC)

    def test_skip_suppresses(self) -> None:
        item = message(TUESDAY_10H, cap_policy="skip")
        verdict = sending_verdict(item, CAPPED, DEPLOYMENT, self.earlier(1), TUESDAY_10H)
        assert (verdict.outcome, verdict.reason) == ("suppress", "frequency_cap")

    def test_high_priority_goes_through_soft_caps(self) -> None:
        item = message(TUESDAY_10H, priority=0)
        verdict = sending_verdict(item, CAPPED, DEPLOYMENT, self.earlier(1), TUESDAY_10H)
        assert verdict.outcome == "send"

    def test_sends_out_of_the_window_do_not_count(self) -> None:
        verdict = sending_verdict(
            message(TUESDAY_10H), CAPPED, DEPLOYMENT, self.earlier(25), TUESDAY_10H
        )
        assert verdict.outcome == "send"


class TestOptoutConfirmation:
    OPTED_OUT = ConsentView({("transactional", "*"): "opted_out", ("marketing", "*"): "opted_out"})

    def test_the_confirmation_passes_the_opted_out_rule(self) -> None:
        item = message(TUESDAY_10H, category="transactional", reply_kind="optout_confirmation")
        assert consent_for_gate(item, self.OPTED_OUT) == ConsentView()

    @pytest.mark.parametrize(
        ("category", "reply_kind"),
        [("marketing", "optout_confirmation"), ("transactional", "help"), ("transactional", None)],
    )
    def test_nothing_else_does(self, category: str, reply_kind: str | None) -> None:
        item = message(TUESDAY_10H, category=category, reply_kind=reply_kind)
        assert consent_for_gate(item, self.OPTED_OUT) is self.OPTED_OUT


BASE = {
    "HERALD_DISPATCHER_DB__URL": "postgresql://u:p@127.0.0.1:5432/herald_dispatcher",
    "HERALD_DISPATCHER_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
    "HERALD_DISPATCHER_ERASURE__KEY": "k3y-0f-the-erasure-pseudonyms",
    "HERALD_DISPATCHER_SMPP__PASSWORD": "k8Zq2p",
}
SUNDAYS = '[{"name": "FR-af2m-2026", "options": {"sundays": true}}]'
BUDGET = '[{"category": "marketing", "limit": 4, "window": "P30D"}]'
ZERO_WINDOW = '[{"category": "marketing", "limit": 1, "window": 0}]'


class TestConfiguration:
    def load(self, monkeypatch: pytest.MonkeyPatch, **extra: str) -> DispatcherSettings:
        for name, value in {**BASE, **extra}.items():
            monkeypatch.setenv(name, value)
        return DispatcherSettings()

    def test_the_default_is_fr_strict_then_us_tcpa_then_default(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = self.load(monkeypatch)
        assert [p.name for p in settings.compliance.packs] == ["FR-strict", "US-TCPA", "default"]
        assert settings.compliance.caps == []

    def test_packs_caps_and_workspaces_from_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = self.load(
            monkeypatch,
            HERALD_DISPATCHER_COMPLIANCE__PACKS=SUNDAYS,
            HERALD_DISPATCHER_COMPLIANCE__CAPS=BUDGET,
            HERALD_DISPATCHER_COMPLIANCE__WORKSPACES='{"acme": {"packs": [{"name": "US-TCPA"}]}}',
        )
        assert settings.compliance.caps[0].window == timedelta(days=30)
        assert settings.compliance.workspaces["acme"].packs[0].name == "US-TCPA"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ('[{"name": "FR-lenient"}]', "unknown rule pack 'FR-lenient'; known packs: FR-strict"),
            ('[{"name": "FR-strict", "options": {"sundays": true}}]', "FR-strict takes no options"),
            ('[{"name": "default", "options": {"opens": "25:00"}}]', "opens must be a time"),
            ("[]", "at least 1"),
        ],
    )
    def test_a_wrong_pack_stops_the_process_at_start_up(
        self, monkeypatch: pytest.MonkeyPatch, value: str, message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message):
            self.load(monkeypatch, HERALD_DISPATCHER_COMPLIANCE__PACKS=value)

    def test_a_wrong_cap_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        with pytest.raises(ValidationError, match="window"):
            self.load(
                monkeypatch,
                HERALD_DISPATCHER_COMPLIANCE__CAPS=ZERO_WINDOW,
            )
