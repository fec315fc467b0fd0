"""What a contact's create and update accept besides the number, checked and derived: the
time zone and where it came from, lifecycle, lists, typed attributes, reachability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import attribute_service
from herald_contacts.domain.timezones import ResolvedTimezone, UnknownTimezone, resolve_timezone
from herald_contacts.models import Contact
from herald_contacts.schemas import ContactCreate, ContactUpdate
from herald_kit.errors import Unprocessable

MARKED_BY_API = "marked unreachable through the API"
_NOT_NULL = ("locale", "lifecycle", "reachable")


def timezone_fields(explicit: str | None, e164: str) -> dict[str, Any]:
    try:
        resolved: ResolvedTimezone = resolve_timezone(explicit, e164)
    except UnknownTimezone as error:
        raise Unprocessable(f"timezone: {error}") from None
    return {
        "timezone": resolved.timezone,
        "timezone_source": resolved.source.value,
        "timezone_ambiguous": resolved.ambiguous,
    }


async def creation_fields(
    session: AsyncSession, workspace_id: str, data: ContactCreate, e164: str
) -> dict[str, Any]:
    """The columns a new contact gets from these fields of the request."""
    return {
        **timezone_fields(data.timezone, e164),
        "attributes": await attribute_service.checked_attributes(
            session, workspace_id, data.attributes
        ),
        "tags": sorted(set(data.tags)),
        "lists": sorted(set(data.lists)),
        "lifecycle": data.lifecycle,
        "reachable": True,
    }


async def apply_update(
    session: AsyncSession, contact: Contact, data: ContactUpdate, now: datetime
) -> None:
    """Set what the request names (a PATCH: absent fields are kept). `attributes` replaces
    the whole object; a null time zone falls back to the number's prefix."""
    changes = data.model_dump(exclude_unset=True)
    for field in _NOT_NULL:
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field}: cannot be null")
    if "timezone" in changes:
        for column, value in timezone_fields(changes.pop("timezone"), contact.phone).items():
            setattr(contact, column, value)
    if "attributes" in changes:
        contact.attributes = await attribute_service.checked_attributes(
            session, contact.workspace_id, changes.pop("attributes") or {}
        )
    if "reachable" in changes:
        _set_reachable(contact, changes.pop("reachable"), now)
    if changes.get("email") is not None:
        changes["email"] = str(changes["email"])
    for field in ("tags", "lists"):  # a null empties them
        if field in changes:
            changes[field] = sorted(set(changes[field] or []))
    for field, value in changes.items():
        setattr(contact, field, value)


def _set_reachable(contact: Contact, reachable: bool, now: datetime) -> None:
    if reachable == contact.reachable:
        return
    contact.reachable = reachable
    contact.unreachable_reason = None if reachable else MARKED_BY_API
    contact.unreachable_at = None if reachable else now
