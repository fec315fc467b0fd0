"""`contact.updated` is the contact's full state: every column of `contact` is a field of
the event under the same name (imports build the event in SQL from the column names)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from herald_contacts.models import Contact
from herald_contacts.service import to_event
from herald_events.models.contacts import ContactUpdatedV1

T0 = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def contact() -> Contact:
    return Contact(
        id=uuid.uuid4(),
        workspace_id="ws",
        phone="+33612345678",
        country="FR",
        timezone="Europe/Paris",
        locale="fr",
        first_name="Élodie",
        last_name=None,
        email=None,
        attributes={"tier": "gold"},
        tags=["vip"],
        lists=["newsletter"],
        lifecycle="customer",
        timezone_source="phone_prefix",
        timezone_ambiguous=False,
        orders_count=3,
        total_spent=Decimal("149.90"),
        last_order_at=T0,
        last_click_at=T0,
        last_reply_at=None,
        reachable=False,
        unreachable_reason="sms.delivered undelivered: error 001",
        unreachable_at=T0,
        created_at=T0,
        updated_at=T0,
    )


def test_every_column_but_the_workspace_is_a_field_of_the_event() -> None:
    columns = set(Contact.__table__.c.keys()) - {"workspace_id", "id"}
    assert columns <= set(ContactUpdatedV1.model_fields)


def test_to_event_carries_every_column() -> None:
    row = contact()
    event = to_event(row).model_dump()
    for name in [column.key for column in Contact.__table__.c]:
        if name != "workspace_id":
            assert event["contact_id" if name == "id" else name] == getattr(row, name)


def test_total_spent_travels_as_a_number_like_the_sql_built_event() -> None:
    document = json.loads(to_event(contact()).model_dump_json())
    assert document["total_spent"] == 149.9
    assert ContactUpdatedV1.model_validate(document).total_spent == Decimal("149.90")
