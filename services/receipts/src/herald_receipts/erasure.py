"""Erasure in the receipts service: forget what a number sent us.

Inbound messages (replies, STOP) name the number and hold its words: they are deleted. A
receipt parked while its submission is unknown carries the recipient's number as the
gateway wrote it (with or without `+`, national or not): that field is blanked, the rest is
kept so that the receipt still settles its message. Submissions and deliveries hold no
number (message ids, provider ids, statuses), so they stay. The STOP that once came from the
number lives on as pseudonymised proof in the consent service.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from herald_kit.logs import get_logger, mask_phone
from herald_receipts import repository
from herald_receipts.domain.phones import InvalidPhone, normalise_phone

log = get_logger(__name__)


@dataclass(frozen=True)
class Forgotten:
    inbound_deleted: int
    parked_blanked: int


def _is_number(raw: str, phone: str, default_region: str) -> bool:
    try:
        return normalise_phone(raw, default_region) == phone
    except InvalidPhone:
        return False


async def forget_number(
    session: AsyncSession, workspace_id: str, phone: str, default_region: str
) -> Forgotten:
    inbound = await repository.delete_inbound_of(session, workspace_id, phone)
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
    )
    return Forgotten(inbound, len(parked))
