"""Erasure in the dispatcher: scrub the number from the message ledger, and keep it
suppressed if it had opted out.

On `contact.erased`, in one transaction:
- the number's consent rows are deleted; its opt-outs are kept under the number's keyed
  pseudonym (HMAC-SHA256 under `HERALD_DISPATCHER_ERASURE__KEY`), which the final gate
  lays over the projection (herald_dispatcher.erased_facts). The dispatcher keeps its own
  keyed suppression rather than relying on the consent service's: it must stop a message to
  the number even when the number comes back without any consent event (a re-imported
  contact, a transactional message), and even while the consent service is down;
- the number's queued messages are suppressed (`contact_erased`, with `sms.suppressed`);
- the number and the text of every message of the number are blanked; ids, statuses,
  routes, provider ids, segments and dates stay (counts and delivery receipts still add up);
- the contact id is remembered, so that a request still on its way (a campaign expanded
  just before the erasure) is suppressed and scrubbed when the sender claims it.
A message being submitted at that moment holds the erasure back (a transient error: the
runner retries) until the gateway has answered, so that no requeued message can be left
without a number to send to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.pseudonyms import phone_pseudonym
from herald_dispatcher import repository
from herald_dispatcher.service import SMS_SUPPRESSED, event_id_for
from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.dispatcher import SmsSuppressedV1, SuppressionReason
from herald_kit.errors import TransientError
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

log = get_logger(__name__)


class MessagesInFlight(TransientError):
    """A message to the number is being submitted: erase once the gateway answered."""


@dataclass(frozen=True)
class Forgotten:
    messages_scrubbed: int
    queued_suppressed: int
    opt_outs_kept: int
    consent_rows_deleted: int


def _suppressed(
    outbox: Outbox, workspace_id: str, phone: str, row: Any, now: datetime
) -> tuple[str, str, Envelope[Any]]:
    payload = SmsSuppressedV1(
        message_id=row.message_id,
        phone=phone,
        campaign_id=row.campaign_id,
        category=row.category,
        reason=SuppressionReason.CONTACT_ERASED,
        decided_at=now,
    )
    envelope = outbox.envelope(
        SMS_SUPPRESSED,
        payload,
        workspace_id=workspace_id,
        event_id=event_id_for(row.message_id, SMS_SUPPRESSED),
    )
    return SMS_SUPPRESSED, str(row.message_id), envelope


async def forget_number(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    erased: ContactErasedV1,
    erasure_key: bytes,
    now: datetime,
) -> Forgotten:
    phone = erased.phone
    messages: Sequence[Any] = await repository.lock_messages_of(session, workspace_id, phone)
    if any(message.status == "submitting" for message in messages):
        raise MessagesInFlight(f"a message to {mask_phone(phone)} is being submitted")
    await repository.remember_erased_contact(
        session, workspace_id, erased.contact_id, erased.erased_at
    )
    pseudonym = phone_pseudonym(erasure_key, workspace_id, phone)
    kept = await repository.keep_optouts_as(session, workspace_id, phone, pseudonym)
    dropped = await repository.delete_consent_of(session, workspace_id, phone)
    reason = SuppressionReason.CONTACT_ERASED.value
    queued = await repository.suppress_queued_of(session, workspace_id, phone, reason, now)
    await outbox.add_many(
        session, [_suppressed(outbox, workspace_id, phone, row, now) for row in queued]
    )
    scrubbed = await repository.scrub_messages_of(session, workspace_id, phone)
    forgotten = Forgotten(scrubbed, len(queued), kept, dropped)
    log.info(
        "dispatcher.erased",
        phone=mask_phone(phone),
        messages_scrubbed=scrubbed,
        queued_suppressed=len(queued),
        opt_outs_kept=kept,
        consent_rows_deleted=dropped,
    )
    return forgotten
