"""What a careless or hostile client gets: precise 4xx, never a 5xx or someone else's data."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from herald_stack.client import API_URLS, HeraldClient
from herald_stack.demo import random_mobile
from herald_stack.services import Infra


@pytest.mark.parametrize("service", sorted(API_URLS))
async def test_every_api_refuses_a_missing_key(platform: Infra, service: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{API_URLS[service]}/v1/anything")
    assert response.status_code in (401, 404)
    async with httpx.AsyncClient() as http:
        openapi = (await http.get(f"{API_URLS[service]}/openapi.json")).json()
    for path, methods in openapi["paths"].items():
        if not path.startswith("/v1/") or "get" not in methods or "{" in path:
            continue
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{API_URLS[service]}{path}")
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_another_workspaces_contact_is_404(
    workspace_client: HeraldClient, stranger_client: HeraldClient
) -> None:
    contact = await workspace_client.create_contact(random_mobile(), "Owner")
    response = await stranger_client.call("GET", "contacts", f"/v1/contacts/{contact['id']}")
    assert response.status_code == 404
    listed = await stranger_client.call("GET", "contacts", "/v1/contacts")
    assert contact["id"] not in listed.text


async def test_invalid_input_names_the_field(workspace_client: HeraldClient) -> None:
    response = await workspace_client.call(
        "POST", "contacts", "/v1/contacts", json={"phone": "not a number"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("phone")
    response = await workspace_client.call(
        "POST",
        "consent",
        "/v1/consents",
        json={
            "phone": "0612345678",
            "purpose": "marketing",
            "source": "web_form",
            "evidence": {
                "wording": "Oui",
                "wording_version": "1",
                "collected_at": "2026-11-24T09:00:00Z",
                "pre_ticked": True,
            },
        },
    )
    assert response.status_code == 422
    assert "pre-ticked" in response.text


async def test_a_malformed_event_is_dead_lettered_and_consumers_go_on(platform: Infra) -> None:
    marker = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("consent.changed", value=b"{not json " + marker, key=b"x")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        "consent.changed.dlq", bootstrap_servers=platform.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    groups: set[bytes] = set()
    try:
        for _ in range(60):
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.value and marker in record.value:
                        groups.add(dict(record.headers)["herald-consumer-group"])
            if len(groups) >= 2:
                break
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    assert groups == {b"dispatcher.suppression", b"campaigns.consent"}
