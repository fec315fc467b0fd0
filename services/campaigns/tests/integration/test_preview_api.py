"""Previews: `POST /v1/campaigns/preview` and `GET /v1/campaigns/{id}/preview`, on the real
database and Kafka, with the STOP mention's short codes configured and a REAL contacts API
for previews rendered for a contact of the workspace."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from herald_campaigns.main import create_app
from herald_campaigns.settings import get_settings
from herald_stack.kafka import KafkaBroker
from herald_testing.api import KeyFactory, bearer, running_app, service_env

from .test_expansion import ContactsApi, contacts_api, workspace

__all__ = ["contacts_api"]  # the module's real contacts API

OWN_CODE_WS = "ws-preview-own-code"  # a workspace with a short code of its own
MENTION = " STOP au 36111"


@pytest.fixture
async def client(
    service_dsn: str,
    kafka_broker: KafkaBroker,
    contacts_api: ContactsApi,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    """The campaigns app with the local stack's short code (36111, 38222 for one workspace),
    asking the real contacts API."""
    env = {
        **service_env("campaigns", service_dsn, kafka_broker.bootstrap),
        "HERALD_CAMPAIGNS_CONTACTS__URL": contacts_api.url,
        "HERALD_CAMPAIGNS_CONTACTS__API_KEY": contacts_api.system_key,
        "HERALD_CAMPAIGNS_MENTION__SHORT_CODE": "36111",
        "HERALD_CAMPAIGNS_MENTION__SHORT_CODES": json.dumps({OWN_CODE_WS: "38222"}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        async with running_app(create_app()) as api:
            yield api
    finally:
        get_settings.cache_clear()


def composition(**overrides: Any) -> dict[str, Any]:
    return {
        "template": "Bonjour {{first_name|client}}, -20% ce week-end !",
        "category": "marketing",
        **overrides,
    }


async def preview(
    client: httpx.AsyncClient, key: str, status: int = 200, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/campaigns/preview", headers=bearer(key), json=composition(**overrides)
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class TestPreview:
    async def test_a_marketing_text_is_personalised_with_the_mention_and_counted(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        body = await preview(client, key, sample={"first_name": "Élodie"}, sender="HERALD")
        assert body == {
            "text": "Bonjour Élodie, -20% ce week-end !" + MENTION,
            "encoding": "GSM-7",
            "characters": 48,
            "segments": 1,
            "per_segment": 160,
            "non_gsm_characters": [],
            "mention_added": True,
            "country": "FR",
        }

    async def test_without_a_sample_the_fallbacks_and_the_french_mention_are_used(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        body = await preview(client, key)
        assert body["text"] == "Bonjour client, -20% ce week-end !" + MENTION
        assert body["country"] == "FR"

    async def test_extension_characters_count_two_and_an_emoji_forces_ucs2(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        euro = await preview(client, key, template="Tout a 10€ {{first_name}}")
        assert (euro["encoding"], euro["characters"]) == ("GSM-7", len("Tout a 10€") + 1 + 14)
        emoji = await preview(client, key, template="Soldes 🎉 {{first_name}}")
        assert emoji["text"] == "Soldes 🎉" + MENTION  # the blank name leaves no space
        assert emoji["encoding"] == "UCS-2"
        assert emoji["characters"] == len("Soldes ") + 2 + 14
        assert (emoji["segments"], emoji["per_segment"]) == (1, 70)
        assert emoji["non_gsm_characters"] == ["🎉"]

    async def test_folding_turns_an_accented_text_back_into_gsm7(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        template = "{{first_name}}, la forêt de Noël vous attend – " + "x" * 60
        sample = {"first_name": "Anaïs"}
        kept = await preview(client, key, template=template, sample=sample)
        assert kept["encoding"] == "UCS-2"
        assert (kept["segments"], kept["per_segment"]) == (2, 67)
        assert kept["non_gsm_characters"] == ["ï", "ê", "ë", "–"]
        folded = await preview(client, key, template=template, sample=sample, fold_accents=True)
        assert folded["text"] == ("Anais, la foret de Noel vous attend - " + "x" * 60 + MENTION)
        assert folded["encoding"] == "GSM-7"
        assert (folded["segments"], folded["per_segment"]) == (1, 160)
        assert folded["non_gsm_characters"] == []

    async def test_the_mention_follows_the_country_and_the_workspace_short_code(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        british = await preview(client, key, template="Sale!", sample={"country": "gb"})
        assert (british["text"], british["country"]) == ("Sale! Reply STOP to opt out", "GB")
        reunion = await preview(client, key, template="Promo", sample={"country": "RE"})
        assert (reunion["text"], reunion["country"]) == ("Promo" + MENTION, "FR")
        own = await preview(client, await key_for(OWN_CODE_WS), template="Promo")
        assert own["text"] == "Promo STOP au 38222"

    async def test_a_mention_already_in_the_template_is_not_doubled(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        body = await preview(client, key, template="Promo ! STOP au 36111")
        assert (body["text"], body["mention_added"]) == ("Promo ! STOP au 36111", False)

    async def test_a_transactional_text_gets_no_mention(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview"))
        body = await preview(client, key, template="Votre code : 4242", category="transactional")
        assert (body["text"], body["mention_added"]) == ("Votre code : 4242", False)


class TestForAContact:
    async def test_a_contacts_names_and_number_decide_the_text(
        self, client: httpx.AsyncClient, key_for: KeyFactory, contacts_api: ContactsApi
    ) -> None:
        ws = workspace("ws-preview-contact")
        key = await key_for(ws)
        french, british = await contacts_api.add_contacts(
            ws,
            [
                {"phone": "+33612000001", "first_name": "Anaïs"},
                {"phone": "+447911000002", "first_name": "Jo"},
            ],
        )
        body = await preview(client, key, contact_id=french, fold_accents=True)
        assert body["text"] == "Bonjour Anais, -20% ce week-end !" + MENTION
        body = await preview(client, key, contact_id=british)
        assert body["text"] == "Bonjour Jo, -20% ce week-end ! Reply STOP to opt out"
        assert body["country"] == "GB"

    async def test_an_unknown_or_foreign_contact_is_422_naming_contact_id(
        self, client: httpx.AsyncClient, key_for: KeyFactory, contacts_api: ContactsApi
    ) -> None:
        ws, other = workspace("ws-preview-contact"), workspace("ws-preview-other")
        key = await key_for(ws)
        [foreign] = await contacts_api.add_contacts(other, [{"phone": "+33612000003"}])
        for contact_id in (str(uuid.uuid4()), foreign):
            problem = await preview(client, key, 422, contact_id=contact_id)
            assert problem["errors"][0]["field"] == "contact_id"
            assert f"no contact {contact_id}" in problem["detail"]

    async def test_a_saved_campaign_is_previewed_for_a_contact(
        self, client: httpx.AsyncClient, key_for: KeyFactory, contacts_api: ContactsApi
    ) -> None:
        ws = workspace("ws-preview-contact")
        key = await key_for(ws)
        [contact] = await contacts_api.add_contacts(
            ws, [{"phone": "+33612000004", "first_name": "Benoît"}]
        )
        campaign = await create_campaign(client, key, fold_accents=True)
        response = await client.get(
            f"/v1/campaigns/{campaign}/preview",
            headers=bearer(key),
            params={"contact_id": contact},
        )
        assert response.status_code == 200, response.text
        assert response.json()["text"] == "Salut Benoit, la foret vous attend" + MENTION


async def create_campaign(client: httpx.AsyncClient, key: str, **overrides: Any) -> str:
    body = {
        "name": "Forêt",
        "template": "Salut {{first_name|toi}}, la forêt vous attend",
        "category": "marketing",
        "sender": "HERALD",
        "audience": {"type": "all_contacts"},
        **overrides,
    }
    response = await client.post("/v1/campaigns", headers=bearer(key), json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class TestSavedCampaign:
    async def test_a_saved_campaign_is_previewed_with_its_own_settings(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview-saved"))
        folded = await create_campaign(client, key, fold_accents=True)
        kept = await create_campaign(client, key)
        for campaign, text, encoding in (
            (folded, "Salut Anais, la foret vous attend" + MENTION, "GSM-7"),
            (kept, "Salut Anaïs, la forêt vous attend" + MENTION, "UCS-2"),
        ):
            response = await client.get(
                f"/v1/campaigns/{campaign}/preview",
                headers=bearer(key),
                params={"first_name": "Anaïs"},
            )
            assert response.status_code == 200, response.text
            assert (response.json()["text"], response.json()["encoding"]) == (text, encoding)
        default = await client.get(f"/v1/campaigns/{kept}/preview", headers=bearer(key))
        assert default.json()["text"] == "Salut toi, la forêt vous attend" + MENTION
        british = await client.get(
            f"/v1/campaigns/{kept}/preview", headers=bearer(key), params={"country": "GB"}
        )
        assert british.json()["text"].endswith(" Reply STOP to opt out")

    async def test_unknown_foreign_and_contradictory_asks(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview-saved"))
        other = await key_for(workspace("ws-preview-other"))
        campaign = await create_campaign(client, key)
        for path, who in ((f"/v1/campaigns/{uuid.uuid4()}/preview", key), (campaign, other)):
            url = path if path.startswith("/") else f"/v1/campaigns/{path}/preview"
            assert (await client.get(url, headers=bearer(who))).status_code == 404
        both = await client.get(
            f"/v1/campaigns/{campaign}/preview",
            headers=bearer(key),
            params={"contact_id": str(uuid.uuid4()), "first_name": "Jo"},
        )
        assert both.status_code == 422
        assert both.json()["errors"][0]["field"] == "contact_id"
        bad_country = await client.get(
            f"/v1/campaigns/{campaign}/preview", headers=bearer(key), params={"country": "FRA"}
        )
        assert bad_country.status_code == 422
        assert bad_country.json()["errors"][0]["field"] == "country"


class TestBadInput:
    async def test_a_bad_template_is_422_naming_the_variable_and_its_position(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview-bad"))
        problem = await preview(client, key, 422, template="Salut {{prenom}} !")
        assert problem["errors"][0]["field"] == "template"
        assert "unknown variable 'prenom' at position 9" in problem["detail"]
        problem = await preview(client, key, 422, template="Salut {{first_name")
        assert "'{{' is never closed by '}}' at position 7" in problem["detail"]

    async def test_a_template_that_renders_blank_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview-bad"))
        problem = await preview(client, key, 422, template="{{first_name}}")
        assert problem["errors"][0]["field"] == "template"
        assert "no message would be sent" in problem["detail"]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"category": "promo"}, "category"),
            ({"sample": {"country": "France"}}, "sample.country"),
            ({"sample": {"phone": "+33612345678"}}, "sample.phone"),
            ({"contact_id": "7"}, "contact_id"),
            ({"sender": "HERALDSHOP24"}, "sender"),
            ({"fold_accents": "maybe"}, "fold_accents"),
            ({"priority": "high"}, "priority"),  # not a composition field
            ({"template": ""}, "template"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        key = await key_for(workspace("ws-preview-bad"))
        problem = await preview(client, key, 422, **overrides)
        assert problem["errors"][0]["field"] == field

    async def test_a_sample_and_a_contact_together_are_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-preview-bad"))
        problem = await preview(
            client, key, 422, sample={"first_name": "Jo"}, contact_id=str(uuid.uuid4())
        )
        assert problem["errors"][0]["field"] == "contact_id"
        assert "either `sample` or `contact_id`" in problem["detail"]


class TestScopes:
    async def test_readers_and_writers_may_preview_others_may_not(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        ws = workspace("ws-preview-scope")
        writer = await key_for(ws, ("campaigns:write",))
        reader = await key_for(ws, ("campaigns:read",))
        stranger = await key_for(ws, ("contacts:read",))
        campaign = await create_campaign(client, writer)
        for key in (writer, reader):
            await preview(client, key)
            saved = await client.get(f"/v1/campaigns/{campaign}/preview", headers=bearer(key))
            assert saved.status_code == 200
        await preview(client, stranger, 403)
        saved = await client.get(f"/v1/campaigns/{campaign}/preview", headers=bearer(stranger))
        assert saved.status_code == 403
        assert (await client.post("/v1/campaigns/preview", json=composition())).status_code == 401
