import sys
from pathlib import Path

import pytest

from herald_stack.services import (
    SERVICES,
    Infra,
    Service,
    missing_reason,
    script_command,
    service_env,
    service_process,
    simulator_process,
)

INFRA = Infra(pg_port=15432, kafka_port=19092, kafka_controller_port=19093)


def by_name(name: str) -> Service:
    return next(service for service in SERVICES if service.name == name)


def test_the_table_of_runtime_conventions() -> None:
    rows = [(s.name, s.api_port, s.consumer_port, s.relay_port, s.database) for s in SERVICES]

    assert rows == [
        ("contacts", 8101, 8201, 8301, "herald_contacts"),
        ("consent", 8102, 8202, 8302, "herald_consent"),
        ("campaigns", 8103, 8203, 8303, "herald_campaigns"),
        ("dispatcher", 8104, 8204, 8304, "herald_dispatcher"),
        ("receipts", 8105, 8205, 8305, "herald_receipts"),
        ("analytics", 8106, 8206, 8306, "herald_analytics"),
    ]


def test_consumer_env() -> None:
    env = service_env(by_name("contacts"), "consumer", INFRA)

    assert env == {
        "PYTHONUNBUFFERED": "1",
        "HERALD_CONTACTS_DB__URL": "postgresql+asyncpg://postgres@127.0.0.1:15432/herald_contacts",
        "HERALD_CONTACTS_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "HERALD_CONTACTS_API__HOST": "127.0.0.1",
        "HERALD_CONTACTS_API__PORT": "8101",
        "HERALD_CONTACTS_HEALTH__HOST": "127.0.0.1",
        "HERALD_CONTACTS_HEALTH__PORT": "8201",
    }


def test_service_specific_env() -> None:
    campaigns = service_env(by_name("campaigns"), "api", INFRA)
    dispatcher = service_env(by_name("dispatcher"), "relay", INFRA)

    assert campaigns["HERALD_CAMPAIGNS_CONTACTS__URL"] == "http://127.0.0.1:8101"
    assert dispatcher["HERALD_DISPATCHER_HEALTH__PORT"] == "8304"
    assert {k: v for k, v in dispatcher.items() if "SMPP" in k} == {
        "HERALD_DISPATCHER_SMPP__HOST": "127.0.0.1",
        "HERALD_DISPATCHER_SMPP__PORT": "2775",
        "HERALD_DISPATCHER_SMPP__SYSTEM_ID": "herald",
        "HERALD_DISPATCHER_SMPP__PASSWORD": "loc4ldev",
        "HERALD_DISPATCHER_SMPP__WORKSPACE_ID": "demo",
        "HERALD_DISPATCHER_SMPP__SOURCE_ADDR_DEFAULT": "36111",
    }


def test_consent_and_the_dispatcher_get_an_erasure_key_and_only_they() -> None:
    for service in SERVICES:
        env = service_env(service, "consumer", INFRA)
        keys = [name for name in env if name.endswith("_ERASURE__KEY")]
        expected = [f"{service.env_prefix}ERASURE__KEY"]
        assert keys == (expected if service.name in ("consent", "dispatcher") else [])
        for name in keys:
            assert len(env[name]) >= 16


def test_processes_run_our_venv_scripts_and_wait_on_readyz() -> None:
    relay = service_process(by_name("receipts"), "relay", INFRA)
    smsc = simulator_process()

    assert relay.name == "receipts-relay"
    assert relay.ready_url == "http://127.0.0.1:8305/readyz"
    assert relay.argv == [str(Path(sys.executable).parent / "herald-receipts"), "relay"]
    assert smsc.args == ("--smpp-port", "2775", "--http-port", "8190")
    assert smsc.ports == (8190, 2775)


def test_scripts_outside_the_venv_go_through_uv() -> None:
    assert script_command("herald-nothing", "api") == [
        "uv",
        "run",
        "--no-sync",
        "herald-nothing",
        "api",
    ]


def test_missing_reason() -> None:
    assert missing_reason("herald-stack") is None
    assert missing_reason("herald-nothing") == "herald-nothing is not installed in this environment"


def test_infra_ports_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_STACK_PG_PORT", "45432")

    infra = Infra.from_env()

    assert (infra.pg_port, infra.kafka_port) == (45432, 19092)
    assert infra.db_url("x") == "postgresql+asyncpg://postgres@127.0.0.1:45432/x"


def test_the_local_sending_rules_and_short_code_are_valid_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from herald_campaigns.settings import MentionSettings
    from herald_dispatcher.settings import ComplianceSettings

    monkeypatch.delenv("HERALD_DISPATCHER_COMPLIANCE__PACKS", raising=False)
    dispatcher = service_env(by_name("dispatcher"), "consumer", INFRA)
    campaigns = service_env(by_name("campaigns"), "consumer", INFRA)
    packs = ComplianceSettings.model_validate_json(
        '{"packs": ' + dispatcher["HERALD_DISPATCHER_COMPLIANCE__PACKS"] + "}"
    ).packs
    assert [p.name for p in packs] == ["default"]
    assert MentionSettings(short_code=campaigns["HERALD_CAMPAIGNS_MENTION__SHORT_CODE"])
