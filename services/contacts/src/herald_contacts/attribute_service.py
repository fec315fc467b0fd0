"""Use cases of declared attribute types: declare, list, and check a contact's values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import attribute_repository
from herald_contacts.domain.attribute_types import (
    AttributeType,
    InvalidAttribute,
    check_attribute_name,
    validate_attributes,
)
from herald_contacts.errors import AttributeTypeLocked
from herald_contacts.models import AttributeDefinition
from herald_kit.errors import Unprocessable


async def define_attribute(
    session: AsyncSession, workspace_id: str, name: str, kind: AttributeType
) -> tuple[AttributeDefinition, bool]:
    """Declare `name` (True) or keep or change its type. A type change is refused while
    contacts hold values of the old type: they would silently stop matching filters."""
    try:
        check_attribute_name(name)
    except InvalidAttribute as error:
        raise Unprocessable(str(error)) from None
    now = datetime.now(UTC)
    created = await attribute_repository.insert_if_absent(session, workspace_id, name, kind, now)
    definition = await attribute_repository.get_for_update(session, workspace_id, name)
    if definition is None:  # pragma: no cover - inserted or found just above
        raise AssertionError("attribute definition vanished inside its transaction")
    if definition.type != kind:
        if await attribute_repository.is_held_by_a_contact(session, workspace_id, name):
            raise AttributeTypeLocked(name, definition.type)
        definition.type = kind
        definition.updated_at = now
        await session.flush()
    return definition, created


async def list_attributes(
    session: AsyncSession, workspace_id: str
) -> Sequence[AttributeDefinition]:
    return await attribute_repository.all_of(session, workspace_id)


async def checked_attributes(
    session: AsyncSession, workspace_id: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """`values` as stored, or a 422 naming the undeclared or mistyped attribute."""
    if not values:
        return {}
    schema = await attribute_repository.schema(session, workspace_id)
    try:
        return validate_attributes(schema, values)
    except InvalidAttribute as error:
        raise Unprocessable(str(error)) from None
