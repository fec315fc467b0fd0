"""The HTTP reads between services: a workspace's contacts, streamed from contacts.

`GET {contacts}/v1/snapshots/contacts?after=<contact id>` answers NDJSON lines of contacts in
id order, from one consistent snapshot; `after` resumes a cut stream (keyset), `segment_id`
narrows it to a saved segment and `include_unreachable` adds numbers known to be
unreachable. `GET {contacts}/v1/segments/{id}` tells whether a segment exists (the API asks
it when a campaign targeting one is created or launched), and `GET {contacts}/v1/contacts/{id}`
gives the contact a preview is rendered for. Campaigns calls them with its service key
(workspace "*") and names the workspace in `X-Herald-Workspace` on each call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from herald_campaigns.domain.audience import AudienceScope, Recipient
from herald_campaigns.settings import ContactsApiSettings
from herald_kit.auth import ACTING_WORKSPACE_HEADER

SNAPSHOT_PATH = "/v1/snapshots/contacts"
SEGMENT_PATH = "/v1/segments/{segment_id}"
CONTACT_PATH = "/v1/contacts/{contact_id}"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Worth another try: the server is restarting, overloaded or rate-limiting us.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Answers about what was asked (a deleted segment, a filter gone stale): their problem
# detail is worth keeping; other statuses say nothing a reader could act on.
EXPLAINED_STATUSES = frozenset({404, 422})
DETAIL_MAX = 300
# Anything that could be a phone number in a problem detail (a filter value quoted back).
_DIGITS = re.compile(r"\+?\d[\d ().-]{4,}\d")


class SnapshotError(Exception):
    """The snapshot could not be read; the message names no contact."""


class TransientSnapshotError(SnapshotError):
    pass


class PermanentSnapshotError(SnapshotError):
    pass


class ContactsCallError(Exception):
    """Contacts could not answer a question (down, refusing the key...); no contact named."""


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
        self._settings = settings
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        """Opened on first use: an API request that never asks contacts pays nothing."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self._settings.url.rstrip("/"),
                timeout=httpx.Timeout(self._settings.timeout_seconds),
                transport=self._transport,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _headers(self, workspace_id: str, accept: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._settings.api_key.get_secret_value()}",
            ACTING_WORKSPACE_HEADER: workspace_id,
            "Accept": accept,
        }

    async def stream(
        self, workspace_id: str, after: uuid.UUID | None, scope: AudienceScope | None = None
    ) -> AsyncGenerator[SnapshotItem, None]:
        """The workspace's contacts in `scope` (every reachable contact by default) after
        `after`, in id order. Raises TransientSnapshotError (retry from the last contact
        handled) or PermanentSnapshotError."""
        headers = self._headers(workspace_id, "application/x-ndjson")
        params = snapshot_params(after, scope or AudienceScope())
        try:
            async with self._client.stream(
                "GET", SNAPSHOT_PATH, params=params, headers=headers
            ) as response:
                if response.status_code != httpx.codes.OK:
                    await response.aread()
                    raise _status_error(response.status_code, _detail(response))
                async for line in response.aiter_lines():
                    if line.strip():
                        yield parse_line(line)
        except httpx.TransportError as error:
            raise TransientSnapshotError(
                f"contacts snapshot interrupted: {type(error).__name__}"
            ) from error

    async def _get_json(self, workspace_id: str, path: str) -> httpx.Response | None:
        """GET a JSON resource of the workspace: the 200 response, None on a 404;
        ContactsCallError when contacts cannot be reached or answers anything else."""
        try:
            response = await self._client.get(
                path, headers=self._headers(workspace_id, "application/json")
            )
        except httpx.TransportError as error:
            raise ContactsCallError(
                f"contacts could not be reached: {type(error).__name__}"
            ) from error
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        if response.status_code != httpx.codes.OK:
            raise ContactsCallError(f"contacts answered HTTP {response.status_code}")
        return response

    async def segment_exists(self, workspace_id: str, segment_id: uuid.UUID) -> bool:
        """Whether the workspace has this saved segment; ContactsCallError when contacts
        cannot say."""
        path = SEGMENT_PATH.format(segment_id=segment_id)
        return await self._get_json(workspace_id, path) is not None

    async def contact(self, workspace_id: str, contact_id: uuid.UUID) -> Recipient | None:
        """The workspace's contact (what a message to them needs), None when it has none;
        ContactsCallError when contacts cannot say."""
        response = await self._get_json(workspace_id, CONTACT_PATH.format(contact_id=contact_id))
        if response is None:
            return None
        try:
            found = _SnapshotLine.model_validate_json(response.content)
        except ValidationError:
            raise ContactsCallError("contacts sent an unreadable contact") from None
        return Recipient(
            contact_id=found.id,
            phone=found.phone,
            first_name=found.first_name,
            last_name=found.last_name,
        )


def snapshot_params(after: uuid.UUID | None, scope: AudienceScope) -> dict[str, str]:
    """The snapshot's query: only what differs from contacts' defaults."""
    params: dict[str, str] = {}
    if after is not None:
        params["after"] = str(after)
    if scope.segment_id is not None:
        params["segment_id"] = str(scope.segment_id)
    if scope.include_unreachable:
        params["include_unreachable"] = "true"
    return params


def _detail(response: httpx.Response) -> str | None:
    """The problem detail of an error answer, numbers masked, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, str) or not detail.strip():
        return None
    return _DIGITS.sub("<number>", detail.strip())[:DETAIL_MAX]


def _status_error(status: int, detail: str | None = None) -> SnapshotError:
    message = f"contacts answered HTTP {status} to the snapshot request"
    if detail and status in EXPLAINED_STATUSES:
        message += f": {detail}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return TransientSnapshotError(message)
    return PermanentSnapshotError(message)
