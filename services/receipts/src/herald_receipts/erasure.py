"""Erasure in the receipts service: forget what a number sent us, and whom we sent to.

Inbound messages (replies, STOP) name the number and hold its words: they are deleted, and
their opt-out reviews with them (the foreign key cascades); so is the record of the automatic
replies sent to the number (`auto_reply`). A
receipt parked while its submission is unknown carries the recipient's number as the
gateway wrote it (with or without `+`, national or not): that field is blanked, the rest is
kept so that the receipt still settles its message. Deliveries name their recipient (phone
and contact id, announced on `sms.delivered`): both are blanked on the deliveries of the
number or of the contact (its earlier numbers), the statuses stay; the contact id is
remembered, so that a submission naming it that was still in the backlog of `sms.submitted`
is stored without a recipient (herald_receipts.service.record_submission). Submissions hold
no number (message ids, provider ids, statuses). The STOP that once came from the number
lives on as pseudonymised proof in the consent service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_kit.logs import get_logger, mask_phone
from herald_receipts import repository

log = get_logger(__name__)


@dataclass(frozen=True)
class Forgotten:
    inbound_deleted: int
    parked_blanked: int
    deliveries_blanked: int


def _is_number(raw: str, phone: str, default_region: str) -> bool:
    try:
        return normalise_phone(raw, default_region, missing_plus=True).e164 == phone
    except InvalidPhone:
        return False


async def forget_number(
    session: AsyncSession,
    workspace_id: str,
    phone: str,
    contact_id: uuid.UUID,
    erased_at: datetime,
    default_region: str,
) -> Forgotten:
    inbound = await repository.delete_inbound_of(session, workspace_id, phone)
    await repository.delete_auto_replies_of(session, workspace_id, phone)
    await repository.remember_erased_contact(session, workspace_id, contact_id, erased_at)
    deliveries = await repository.blank_delivery_recipients(
        session, workspace_id, phone, contact_id
    )
    parked = [
        receipt_id
        for receipt_id, source in await repository.parked_senders(session, workspace_id)
        if _is_number(source, phone, default_region)
    ]
    await repository.blank_parked_sources(session, parked)
    log.info(
        "receipts.erased",
        phone=mask_phone(phone),
        inbound_deleted=inbound,
        parked_blanked=len(parked),
        deliveries_blanked=deliveries,
    )
    return Forgotten(inbound, len(parked), deliveries)
