"""A small client of the running platform, as a client system would use it: the demo and the
end-to-end tests drive Herald only through its public HTTP APIs and the simulator's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from herald_stack.ports import HOST
from herald_stack.services import SERVICES, SMSC_HTTP_PORT

T = TypeVar("T")
API_URLS = {service.name: f"http://{HOST}:{service.api_port}" for service in SERVICES}
SMSC_URL = f"http://{HOST}:{SMSC_HTTP_PORT}"


class PlatformError(RuntimeError):
    pass


@dataclass
class HeraldClient:
    """One workspace's view of the platform, authenticated by its API key."""

    api_key: str
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(
            timeout=self.timeout, headers={"Authorization": f"Bearer {self.api_key}"}
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, API_URLS[service] + path, **kwargs)

    async def expect(self, status: int, method: str, service: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, service, path, **kwargs)
        if response.status_code != status:
            raise PlatformError(
                f"{method} {service}{path}: expected {status}, got {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response.json() if response.content else None

    async def create_contact(self, phone: str, first_name: str) -> dict[str, Any]:
        body = {"phone": phone, "first_name": first_name}
        result: dict[str, Any] = await self.expect(
            201, "POST", "contacts", "/v1/contacts", json=body
        )
        return result

    async def record_marketing_consent(self, phone: str, wording: str) -> dict[str, Any]:
        body = {
            "phone": phone,
            "purpose": "marketing",
            "source": "web_form",
            "evidence": {
                "wording": wording,
                "wording_version": "demo-1",
                "collected_at": "2026-11-24T09:00:00+01:00",
                "pre_ticked": False,
                "ip": "203.0.113.7",
                "user_agent": "herald-demo",
            },
        }
        result: dict[str, Any] = await self.expect(
            201, "POST", "consent", "/v1/consents", json=body
        )
        return result

    async def create_campaign(
        self, name: str, template: str, sender: str, audience: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A marketing draft; its audience is every contact unless one is given (e.g.
        `{"type": "segment", "segment_id": ...}`)."""
        body = {
            "name": name,
            "template": template,
            "category": "marketing",
            "sender": sender,
            "audience": audience or {"type": "all_contacts"},
        }
        result: dict[str, Any] = await self.expect(
            201, "POST", "campaigns", "/v1/campaigns", json=body
        )
        return result

    async def launch(self, campaign_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.expect(
            202, "POST", "campaigns", f"/v1/campaigns/{campaign_id}/launch"
        )
        return result

    async def campaign_stats(self, campaign_id: str) -> dict[str, Any] | None:
        response = await self.call("GET", "analytics", f"/v1/campaigns/{campaign_id}/stats")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def consent_states(self, phone: str) -> list[dict[str, Any]]:
        response = await self.call("GET", "consent", f"/v1/consents/{phone}")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        body = response.json()
        states: list[dict[str, Any]] = body["states"] if isinstance(body, dict) else body
        return states


class Simulator:
    """The SMSC simulator's control API: its ledger of submits, and a handset's replies."""

    def __init__(self, base_url: str = SMSC_URL) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def close(self) -> None:
        await self.http.aclose()

    async def submits_to(self, phone: str) -> list[dict[str, Any]]:
        response = await self.http.get("/ledger", params={"destination": phone, "limit": 1000})
        response.raise_for_status()
        body = response.json()
        entries: list[dict[str, Any]] = body["entries"] if isinstance(body, dict) else body
        return entries

    async def summary(self) -> dict[str, Any]:
        response = await self.http.get("/ledger/summary")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def set_receipt_outcomes(self, delivered: int, undeliverable: int, expired: int) -> None:
        """Weights of the receipts the simulator sends back (it interleaves them exactly)."""
        outcomes = {"delivered": delivered, "undeliverable": undeliverable, "expired": expired}
        response = await self.http.put("/config", json={"outcomes": outcomes})
        response.raise_for_status()

    async def handset_replies(self, phone: str, text: str, short_code: str = "36111") -> None:
        response = await self.http.post(
            "/mo", json={"source": phone, "destination": short_code, "text": text}
        )
        response.raise_for_status()


async def eventually(probe: Callable[[], Awaitable[T | None]], *, seconds: float, what: str) -> T:
    """Poll `probe` until it returns something truthy (the platform is eventually consistent)."""
    deadline = time.monotonic() + seconds
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise PlatformError(f"timed out after {seconds:.0f} s waiting for {what} (last: {last!r})")
