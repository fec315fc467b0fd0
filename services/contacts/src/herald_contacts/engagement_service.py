"""Use cases fed by message events: when a contact last clicked and last replied, and
whether its number can still be reached. Each change publishes the contact's full state on
`contact.updated`.

- `link.clicked` moves `last_click_at` forward; bots' clicks (link previews, scanners) are
  not engagement. The event names the contact (`contact_id`, from the message's request).
- `sms.inbound` moves `last_reply_at` forward.
- `sms.failed` (a rejected destination) and `sms.delivered` (a final `undelivered` /
  `rejected`) mark the number unreachable (domain/reachability.py). Unreachability belongs to
  the number: a receipt that carries the phone finds the contact by it, and a receipt whose
  phone is unknown (an older producer) by its contact id. A phone that matches no contact is
  not looked up by id: that contact's number changed since, and the new one is not condemned.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import repository, service
from herald_contacts.domain.reachability import undelivered_reason, unreachable_reason
from herald_contacts.models import Contact
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

log = get_logger(__name__)


async def record_click(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    contact_id: uuid.UUID,
    clicked_at: datetime,
) -> None:
    """A recipient followed a link: its contact's last click moves forward (never back)."""
    contact = await repository.get_for_update(session, workspace_id, contact_id)
    if contact is None:
        return
    if contact.last_click_at is not None and clicked_at <= contact.last_click_at:
        return
    contact.last_click_at = clicked_at
    contact.updated_at = datetime.now(UTC)
    await session.flush()
    await service.publish_state(session, outbox, contact)


async def record_reply(
    session: AsyncSession, outbox: Outbox, workspace_id: str, phone: str, received_at: datetime
) -> None:
    """A handset wrote to us: its contact's last reply moves forward (never back)."""
    contact = await repository.get_by_phone_for_update(session, workspace_id, phone)
    if contact is None:
        return
    if contact.last_reply_at is not None and received_at <= contact.last_reply_at:
        return
    contact.last_reply_at = received_at
    contact.updated_at = datetime.now(UTC)
    await session.flush()
    await service.publish_state(session, outbox, contact)


async def record_send_failure(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    phone: str,
    error_code: str,
    reason: str,
    failed_at: datetime,
) -> None:
    """A permanent rejection of the destination marks the number unreachable: it then
    leaves audiences (snapshots, counts) until someone marks it reachable again."""
    why = unreachable_reason(error_code, reason)
    if why is None:
        return
    contact = await repository.get_by_phone_for_update(session, workspace_id, phone)
    await _mark_unreachable(session, outbox, contact, why, failed_at)


async def record_delivery_failure(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    phone: str | None,
    contact_id: uuid.UUID | None,
    status: str,
    final: bool,
    error_code: str | None,
    reported_at: datetime,
) -> None:
    """A final undeliverable receipt marks the number unreachable, like `sms.failed`."""
    why = undelivered_reason(status, final, error_code)
    if why is None:
        return
    if phone is not None:
        contact = await repository.get_by_phone_for_update(session, workspace_id, phone)
    elif contact_id is not None:
        contact = await repository.get_for_update(session, workspace_id, contact_id)
    else:
        return
    await _mark_unreachable(session, outbox, contact, why, reported_at)


async def _mark_unreachable(
    session: AsyncSession, outbox: Outbox, contact: Contact | None, why: str, at: datetime
) -> None:
    if contact is None or not contact.reachable:
        return
    contact.reachable = False
    contact.unreachable_reason = why
    contact.unreachable_at = at
    contact.updated_at = datetime.now(UTC)
    await session.flush()
    await service.publish_state(session, outbox, contact)
    log.info("contact.unreachable", contact_id=str(contact.id), phone=mask_phone(contact.phone))
