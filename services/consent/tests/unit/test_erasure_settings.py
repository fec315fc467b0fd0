"""The erasure key: required, never a placeholder, long enough to be a key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from herald_consent.settings import ConsentSettings, ErasureKeySettings

BASE = {
    "HERALD_CONSENT_DB__URL": "postgresql://u:p@127.0.0.1:5432/herald_consent",
    "HERALD_CONSENT_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
}


def load(monkeypatch: pytest.MonkeyPatch, key: str | None) -> ConsentSettings:
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    if key is None:
        monkeypatch.delenv("HERALD_CONSENT_ERASURE__KEY", raising=False)
    else:
        monkeypatch.setenv("HERALD_CONSENT_ERASURE__KEY", key)
    return ConsentSettings()


def test_a_real_key_is_read_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, "k3y-0f-the-erasure-pseudonyms")
    assert settings.erasure.key.get_secret_value() == "k3y-0f-the-erasure-pseudonyms"
    assert "k3y-0f" not in repr(settings)
    assert ErasureKeySettings().erasure.key == settings.erasure.key


def test_the_processes_refuse_to_start_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="erasure"):
        load(monkeypatch, None)


@pytest.mark.parametrize("key", ["", "changeme", "secret", "password", "short-key"])
def test_placeholders_and_short_keys_are_refused(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    with pytest.raises(ValidationError, match=r"ERASURE__KEY|at least 16"):
        load(monkeypatch, key)
