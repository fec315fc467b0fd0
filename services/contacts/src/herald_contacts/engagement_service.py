"""Use cases fed by message events: when a contact last replied, and whether its number can
still be reached. Each change publishes the contact's full state on `contact.updated`.

What cannot be fed yet, and why: `link.clicked` (for `last_click_at`) and `sms.delivered`
(a final `undelivered` / `rejected` receipt) carry a message id but neither the phone nor
the contact id, and contacts keeps no message → contact map; those events are not consumed
until they carry one of the two (see the report of issue 3).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import repository, service
from herald_contacts.domain.reachability import unreachable_reason
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

log = get_logger(__name__)


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
    if contact is None or not contact.reachable:
        return
    contact.reachable = False
    contact.unreachable_reason = why
    contact.unreachable_at = failed_at
    contact.updated_at = datetime.now(UTC)
    await session.flush()
    await service.publish_state(session, outbox, contact)
    log.info("contact.unreachable", contact_id=str(contact.id), phone=mask_phone(phone))
