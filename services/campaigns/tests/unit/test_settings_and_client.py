"""Settings refuse what would break at run time; the snapshot client reads what contacts
streams and classifies failures."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import httpx
import pytest
from pydantic import ValidationError

from herald_campaigns.contacts_client import (
    ContactsCallError,
    ContactsClient,
    PermanentSnapshotError,
    TransientSnapshotError,
    _status_error,
    parse_line,
    snapshot_params,
)
from herald_campaigns.domain.audience import AudienceScope, Recipient
from herald_campaigns.settings import CampaignsSettings, ContactsApiSettings


@dataclass(frozen=True)
class SnapshotErrorInfo:
    request: httpx.Request
    error: BaseException


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


def test_explained_statuses_keep_contacts_reason() -> None:
    error = _status_error(404, "no segment with this id in this workspace")
    assert str(error) == (
        "contacts answered HTTP 404 to the snapshot request: "
        "no segment with this id in this workspace"
    )
    assert str(_status_error(401, "invalid key")) == (
        "contacts answered HTTP 401 to the snapshot request"
    )


class TestSnapshotRequest:
    SEGMENT = uuid.UUID(int=9)

    def test_only_what_differs_from_contacts_defaults_is_sent(self) -> None:
        after = uuid.UUID(int=3)
        assert snapshot_params(None, AudienceScope()) == {}
        assert snapshot_params(after, AudienceScope()) == {"after": str(after)}
        assert snapshot_params(after, AudienceScope(self.SEGMENT, include_unreachable=True)) == {
            "after": str(after),
            "segment_id": str(self.SEGMENT),
            "include_unreachable": "true",
        }

    async def _stream_answered(self, status: int, body: dict[str, object]) -> SnapshotErrorInfo:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(status, json=body)

        client = ContactsClient(
            ContactsApiSettings(api_key="hrl_k_realsecret"), transport=httpx.MockTransport(answer)
        )
        try:
            with pytest.raises((PermanentSnapshotError, TransientSnapshotError)) as caught:
                async for _ in client.stream("ws", None, AudienceScope(self.SEGMENT)):
                    pass
        finally:
            await client.aclose()
        return SnapshotErrorInfo(seen[0], caught.value)

    async def test_a_deleted_segment_fails_for_good_with_contacts_reason(self) -> None:
        info = await self._stream_answered(
            404, {"detail": "no segment with this id in this workspace"}
        )
        assert info.request.url.params["segment_id"] == str(self.SEGMENT)
        assert info.request.headers["X-Herald-Workspace"] == "ws"
        assert isinstance(info.error, PermanentSnapshotError)
        assert str(info.error).endswith(": no segment with this id in this workspace")

    async def test_numbers_in_contacts_reason_are_masked(self) -> None:
        detail = "filter.all[0].value: '+33 6 12 34 56 78' is not a lifecycle"
        info = await self._stream_answered(422, {"detail": detail})
        assert "12 34" not in str(info.error)
        assert "'<number>' is not a lifecycle" in str(info.error)

    async def test_a_slow_segment_is_retried(self) -> None:
        info = await self._stream_answered(503, {"detail": "the filter took too long"})
        assert isinstance(info.error, TransientSnapshotError)


class TestSegmentExists:
    async def _ask(self, answer: httpx.MockTransport) -> bool:
        client = ContactsClient(ContactsApiSettings(api_key="hrl_k_realsecret"), transport=answer)
        try:
            return await client.segment_exists("ws", uuid.UUID(int=5))
        finally:
            await client.aclose()

    async def test_200_and_404_answer_the_question(self) -> None:
        paths: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            paths.append(request.url.path)
            assert request.headers["X-Herald-Workspace"] == "ws"
            return httpx.Response(200 if len(paths) == 1 else 404, json={})

        transport = httpx.MockTransport(answer)
        assert await self._ask(transport) is True
        assert await self._ask(transport) is False
        assert paths == [f"/v1/segments/{uuid.UUID(int=5)}"] * 2

    @pytest.mark.parametrize("status", [401, 500, 503])
    async def test_other_answers_cannot_say(self, status: int) -> None:
        transport = httpx.MockTransport(lambda _: httpx.Response(status, json={}))
        with pytest.raises(ContactsCallError, match=f"HTTP {status}"):
            await self._ask(transport)

    async def test_an_unreachable_contacts_cannot_say(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        with pytest.raises(ContactsCallError, match="ConnectError"):
            await self._ask(httpx.MockTransport(refuse))

    async def test_no_connection_is_opened_when_nothing_is_asked(self) -> None:
        client = ContactsClient(ContactsApiSettings(api_key="hrl_k_realsecret"))
        await client.aclose()
        assert client._http is None


class TestContact:
    """The contact a preview is rendered for."""

    CONTACT = uuid.UUID(int=7)

    async def _ask(self, answer: httpx.MockTransport) -> Recipient | None:
        client = ContactsClient(ContactsApiSettings(api_key="hrl_k_realsecret"), transport=answer)
        try:
            return await client.contact("ws", self.CONTACT)
        finally:
            await client.aclose()

    async def test_a_contact_of_the_workspace_is_read(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            assert request.url.path == f"/v1/contacts/{self.CONTACT}"
            assert request.headers["X-Herald-Workspace"] == "ws"
            body = {"id": str(self.CONTACT), "phone": "+33612345678", "first_name": "Élodie"}
            return httpx.Response(200, json={**body, "last_name": None, "tags": []})

        assert await self._ask(httpx.MockTransport(answer)) == Recipient(
            self.CONTACT, "+33612345678", "Élodie", None
        )

    async def test_404_is_no_contact(self) -> None:
        transport = httpx.MockTransport(lambda _: httpx.Response(404, json={}))
        assert await self._ask(transport) is None

    @pytest.mark.parametrize("status", [401, 500, 503])
    async def test_other_answers_cannot_say(self, status: int) -> None:
        transport = httpx.MockTransport(lambda _: httpx.Response(status, json={}))
        with pytest.raises(ContactsCallError, match=f"HTTP {status}"):
            await self._ask(transport)

    async def test_an_unreadable_answer_cannot_say_and_names_no_data(self) -> None:
        transport = httpx.MockTransport(
            lambda _: httpx.Response(200, json={"phone": "+33612345678"})
        )
        with pytest.raises(ContactsCallError) as caught:
            await self._ask(transport)
        assert "+336" not in str(caught.value)


def test_loop_errors_are_logged_by_class_only() -> None:
    from sqlalchemy.exc import IntegrityError

    from herald_campaigns.expansion import describe

    error = IntegrityError("INSERT ...", {"text": "Bonjour Élodie", "phone": "+33612345678"}, None)
    error.orig = ValueError("duplicate key")  # type: ignore[assignment]
    assert describe(error) == "IntegrityError(ValueError)"
    assert describe(RuntimeError("+33612345678")) == "RuntimeError"
