"""Settings refuse what would break at run time; the snapshot client reads what contacts
streams and classifies failures."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import ValidationError

from herald_campaigns.contacts_client import (
    PermanentSnapshotError,
    TransientSnapshotError,
    _status_error,
    parse_line,
)
from herald_campaigns.settings import CampaignsSettings, ContactsApiSettings

REQUIRED = {
    "HERALD_CAMPAIGNS_DB__URL": "postgresql://u:p@127.0.0.1:5432/herald_campaigns",
    "HERALD_CAMPAIGNS_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:19092",
    "HERALD_CAMPAIGNS_CONTACTS__API_KEY": "hrl_abc_realsecret",
}


class TestSettings:
    def test_ports_and_contacts_url_follow_the_conventions(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in REQUIRED.items():
            monkeypatch.setenv(name, value)
        settings = CampaignsSettings()
        assert settings.api.port == 8103
        assert settings.health.port == 8203
        assert settings.contacts.url == "http://127.0.0.1:8101"
        assert settings.contacts.api_key.get_secret_value() == "hrl_abc_realsecret"
        assert settings.db.url.get_secret_value().startswith("postgresql+asyncpg://")

    def test_the_contacts_url_is_read_from_the_nested_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for name, value in REQUIRED.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HERALD_CAMPAIGNS_CONTACTS__URL", "http://contacts-api:8101")
        assert CampaignsSettings().contacts.url == "http://contacts-api:8101"

    def test_the_contacts_key_is_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in REQUIRED.items():
            if name != "HERALD_CAMPAIGNS_CONTACTS__API_KEY":
                monkeypatch.setenv(name, value)
        monkeypatch.delenv("HERALD_CAMPAIGNS_CONTACTS__API_KEY", raising=False)
        with pytest.raises(ValidationError, match="contacts"):
            CampaignsSettings()

    @pytest.mark.parametrize("placeholder", ["", "changeme", "secret", " Password "])
    def test_a_placeholder_key_is_refused(self, placeholder: str) -> None:
        with pytest.raises(ValidationError, match="real secret"):
            ContactsApiSettings(api_key=placeholder)


class TestParseLine:
    def line(self, **fields: object) -> str:
        base: dict[str, object] = {
            "id": str(uuid.UUID(int=7)),
            "phone": "+33612345678",
            "first_name": "Élodie",
            "last_name": None,
            "tags": ["vip"],
        }
        return json.dumps({**base, **fields})

    def test_a_contact_becomes_a_recipient(self) -> None:
        item = parse_line(self.line())
        assert item.contact_id == uuid.UUID(int=7)
        assert item.recipient is not None
        assert item.recipient.first_name == "Élodie"

    def test_a_number_that_is_not_e164_is_streamed_but_not_a_recipient(self) -> None:
        item = parse_line(self.line(phone="0612345678"))
        assert item.contact_id == uuid.UUID(int=7)
        assert item.recipient is None

    def test_an_unreadable_line_is_permanent_and_names_no_data(self) -> None:
        with pytest.raises(PermanentSnapshotError) as caught:
            parse_line(self.line(id="not-a-uuid"))
        assert "id" in str(caught.value)
        assert "+336" not in str(caught.value)
        with pytest.raises(PermanentSnapshotError):
            parse_line("{truncated")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, PermanentSnapshotError),
        (403, PermanentSnapshotError),
        (404, PermanentSnapshotError),
        (422, PermanentSnapshotError),
        (429, TransientSnapshotError),
        (500, TransientSnapshotError),
        (503, TransientSnapshotError),
    ],
)
def test_http_statuses_are_classified(status: int, kind: type[Exception]) -> None:
    error = _status_error(status)
    assert type(error) is kind
    assert str(status) in str(error)


def test_loop_errors_are_logged_by_class_only() -> None:
    from sqlalchemy.exc import IntegrityError

    from herald_campaigns.expansion import describe

    error = IntegrityError("INSERT ...", {"text": "Bonjour Élodie", "phone": "+33612345678"}, None)
    error.orig = ValueError("duplicate key")  # type: ignore[assignment]
    assert describe(error) == "IntegrityError(ValueError)"
    assert describe(RuntimeError("+33612345678")) == "RuntimeError"
