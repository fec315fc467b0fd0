"""Settings: the SMPP password is required and never a placeholder."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from herald_dispatcher.settings import DispatcherSettings

BASE = {
    "HERALD_DISPATCHER_DB__URL": "postgresql://u:p@127.0.0.1:5432/herald_dispatcher",
    "HERALD_DISPATCHER_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
    "HERALD_DISPATCHER_ERASURE__KEY": "k3y-0f-the-erasure-pseudonyms",
}


def load(monkeypatch: pytest.MonkeyPatch, **extra: str) -> DispatcherSettings:
    for name, value in {**BASE, **extra}.items():
        monkeypatch.setenv(name, value)
    return DispatcherSettings()


class TestSmppSettings:
    def test_defaults_and_ports(self, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = load(monkeypatch, HERALD_DISPATCHER_SMPP__PASSWORD="k8Zq2p")
        assert (settings.api.port, settings.health.port) == (8104, 8204)
        smpp = settings.smpp
        assert (smpp.host, smpp.port, smpp.window, smpp.rate_per_second) == (
            "127.0.0.1",
            2775,
            50,
            200,
        )
        assert (smpp.route_name, smpp.workspace_id) == ("smpp-default", "default")
        assert (smpp.response_timeout_s, smpp.enquire_link_s) == (10, 30)
        assert "k8Zq2p" not in repr(settings)

    def test_the_password_is_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("HERALD_DISPATCHER_SMPP__PASSWORD", raising=False)
        with pytest.raises(ValidationError):
            load(monkeypatch)

    @pytest.mark.parametrize("password", ["", "changeme", "secret", "password", "toolongpw"])
    def test_placeholders_and_long_passwords_are_refused(
        self, monkeypatch: pytest.MonkeyPatch, password: str
    ) -> None:
        with pytest.raises(ValidationError):
            load(monkeypatch, HERALD_DISPATCHER_SMPP__PASSWORD=password)


class TestErasureSettings:
    def test_the_key_is_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("HERALD_DISPATCHER_ERASURE__KEY", raising=False)
        for name, value in BASE.items():
            if name != "HERALD_DISPATCHER_ERASURE__KEY":
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("HERALD_DISPATCHER_SMPP__PASSWORD", "k8Zq2p")
        with pytest.raises(ValidationError, match="erasure"):
            DispatcherSettings()

    @pytest.mark.parametrize("key", ["", "changeme", "secret", "too-short"])
    def test_placeholders_and_short_keys_are_refused(
        self, monkeypatch: pytest.MonkeyPatch, key: str
    ) -> None:
        with pytest.raises(ValidationError, match=r"ERASURE__KEY|at least 16"):
            load(
                monkeypatch,
                HERALD_DISPATCHER_SMPP__PASSWORD="k8Zq2p",
                HERALD_DISPATCHER_ERASURE__KEY=key,
            )

    def test_the_key_is_never_shown(self, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = load(monkeypatch, HERALD_DISPATCHER_SMPP__PASSWORD="k8Zq2p")
        assert settings.erasure.key.get_secret_value() == "k3y-0f-the-erasure-pseudonyms"
        assert "k3y-0f" not in repr(settings)
