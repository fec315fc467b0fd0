"""The one HTTP read between services: a workspace's contacts, streamed from contacts.

`GET {contacts}/v1/snapshots/contacts?after=<contact id>` answers NDJSON lines of contacts in
id order, from one consistent snapshot; `after` resumes a cut stream (keyset). Campaigns
calls it with its service key (workspace "*") and names the workspace in
`X-Herald-Workspace` on each call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from herald_campaigns.domain.audience import Recipient
from herald_campaigns.settings import ContactsApiSettings
from herald_kit.auth import ACTING_WORKSPACE_HEADER

SNAPSHOT_PATH = "/v1/snapshots/contacts"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Worth another try: the server is restarting, overloaded or rate-limiting us.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class SnapshotError(Exception):
    """The snapshot could not be read; the message names no contact."""


class TransientSnapshotError(SnapshotError):
    pass


class PermanentSnapshotError(SnapshotError):
    pass


class _SnapshotLine(BaseModel):
    """The part of contacts' ContactRead that expansion uses (other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    phone: str
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class SnapshotItem:
    """One streamed contact: `recipient` is None when it cannot be messaged (no E.164)."""

    contact_id: uuid.UUID
    recipient: Recipient | None


def parse_line(line: str) -> SnapshotItem:
    try:
        contact = _SnapshotLine.model_validate_json(line)
    except ValidationError as error:
        fields = sorted({str(e["loc"][0]) for e in error.errors() if e.get("loc")})
        raise PermanentSnapshotError(
            f"contacts sent an unreadable snapshot line (fields: {', '.join(fields) or '-'})"
        ) from None
    if not _E164.match(contact.phone):
        return SnapshotItem(contact.id, None)
    return SnapshotItem(
        contact.id,
        Recipient(
            contact_id=contact.id,
            phone=contact.phone,
            first_name=contact.first_name,
            last_name=contact.last_name,
        ),
    )


class ContactsClient:
    def __init__(
        self, settings: ContactsApiSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._api_key = settings.api_key
        self._client = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"),
            timeout=httpx.Timeout(settings.timeout_seconds),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def stream(
        self, workspace_id: str, after: uuid.UUID | None
    ) -> AsyncGenerator[SnapshotItem, None]:
        """The workspace's contacts after `after`, in id order. Raises TransientSnapshotError
        (retry from the last contact handled) or PermanentSnapshotError."""
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            ACTING_WORKSPACE_HEADER: workspace_id,
            "Accept": "application/x-ndjson",
        }
        params = {"after": str(after)} if after is not None else {}
        try:
            async with self._client.stream(
                "GET", SNAPSHOT_PATH, params=params, headers=headers
            ) as response:
                if response.status_code != httpx.codes.OK:
                    raise _status_error(response.status_code)
                async for line in response.aiter_lines():
                    if line.strip():
                        yield parse_line(line)
        except httpx.TransportError as error:
            raise TransientSnapshotError(
                f"contacts snapshot interrupted: {type(error).__name__}"
            ) from error


def _status_error(status: int) -> SnapshotError:
    message = f"contacts answered HTTP {status} to the snapshot request"
    if status in RETRYABLE_STATUSES or status >= 500:
        return TransientSnapshotError(message)
    return PermanentSnapshotError(message)
